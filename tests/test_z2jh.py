"""The Zero to JupyterHub config: valid for the chart, the same closed sign-up as the one-server
hub, and a memory guarantee every lesson fits (the sizing table is `make docs`')."""

import sys
from pathlib import Path

import bcrypt
import jsonschema
import pytest
import yaml
from helpers import require

ROOT = Path(__file__).resolve().parent.parent
Z2JH = ROOT / "classroom" / "z2jh"
CHART = ROOT.parent / "shared" / "z2jh"  # the chart's schema and defaults, beside the project
sys.path.insert(0, str(Z2JH))
from accounts import add_accounts  # noqa: E402


def merged(defaults: dict, config: dict) -> dict:
    """`config` over the chart's `defaults`, as Helm merges a values file before validating."""
    out = dict(defaults)
    for key, value in config.items():
        both = isinstance(value, dict) and isinstance(defaults.get(key), dict)
        out[key] = merged(defaults[key], value) if both else value
    return out


@pytest.fixture(scope="module")
def chart():
    require(CHART.exists(), f"the chart's values schema and defaults in {CHART}")
    schema = yaml.safe_load((CHART / "values.schema.yaml").read_text())
    return jsonschema.Draft7Validator(schema), yaml.safe_load((CHART / "values.yaml").read_text())


def config() -> dict:
    return yaml.safe_load((Z2JH / "config.yaml").read_text())


def test_the_config_is_valid_for_the_chart(chart):
    validator, defaults = chart
    assert not [e.message for e in validator.iter_errors(merged(defaults, config()))]
    typo = config()
    typo["singleuser"]["memroy"] = typo["singleuser"].pop("memory")
    assert list(validator.iter_errors(merged(defaults, typo)))  # the check sees a typo


def test_the_config_keeps_strangers_out_and_limits_each_student():
    values = config()
    native = values["hub"]["config"]["NativeAuthenticator"]
    assert native["enable_signup"] is False and native["check_common_password"]
    assert native["allowed_failed_logins"] and native["seconds_before_next_try"] >= 300
    assert values["proxy"]["https"]["enabled"]
    assert values["singleuser"]["memory"]["limit"] == "3G"
    assert values["cull"]["enabled"] and values["cull"]["timeout"] == 3600
    mounts = {m["name"]: m for m in values["singleuser"]["storage"]["extraVolumeMounts"]}
    assert mounts["mnist"]["readOnly"] and not mounts["exchange"].get("readOnly")


def test_the_hub_takes_its_accounts_from_the_secret(tmp_path, monkeypatch):
    """accounts.py writes the Secret's file; the hub's extraConfig makes the accounts from it,
    with the enrolment codes as first passwords, and none for anyone else."""
    from jupyterhub import orm
    from nativeauthenticator.orm import UserInfo
    from traitlets.config import Config

    (tmp_path / "class-list.txt").write_text("ada\nben\n")
    given = add_accounts(["ada", "ben"], "teacher", tmp_path / "out")
    assert add_accounts(["ada", "ben", "cy"], "teacher", tmp_path / "out").keys() == {"cy"}
    assert (tmp_path / "out" / "accounts").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("DIGITLAB_ACCOUNTS", str(tmp_path / "out" / "accounts"))
    c = Config()
    exec(config()["hub"]["extraConfig"]["digitlab-accounts"], {"c": c})
    db = orm.new_session_factory("sqlite://")()
    c.JupyterHub.authenticator_class(_deprecated_db_session=db)
    assert {u.username for u in UserInfo.all_users(db)} == {"teacher", "ada", "ben", "cy"}
    assert UserInfo.find(db, "ada").is_valid_password(given["ada"])
    assert bcrypt.checkpw(given["teacher"].encode(), UserInfo.find(db, "teacher").password)

    # ben is removed in the admin page, cy from the Secret: neither comes back at a restart
    monkeypatch.setenv("DIGITLAB_REMOVED", str(tmp_path / "removed"))
    exec(config()["hub"]["extraConfig"]["digitlab-accounts"], {"c": c})
    hub = c.JupyterHub.authenticator_class(_deprecated_db_session=db)
    hub.delete_user(type("User", (), {"name": "ben"})())
    accounts = tmp_path / "out" / "accounts"
    accounts.write_text("".join(line + "\n" for line in accounts.read_text().splitlines()
                                if not line.startswith("cy ")))
    c.JupyterHub.authenticator_class(_deprecated_db_session=db)
    assert {u.username for u in UserInfo.all_users(db)} == {"teacher", "ada"}


def test_no_group_is_shared_and_the_exchange_is_made_as_the_instructors():
    from traitlets.config import Config

    c, values = Config(), config()
    exec(values["hub"]["extraConfig"]["digitlab-own-uids"], {"c": c})
    ids = {c.KubeSpawner.uid(type("S", (), {"user": type("U", (), {"admin": admin, "id": i})}))
           for admin, i in ((True, 1), (False, 2), (False, 3))}
    assert ids == {9999, 10002, 10003} and c.KubeSpawner.gid is c.KubeSpawner.uid
    assert c.KubeSpawner.fs_gid is c.KubeSpawner.uid and c.KubeSpawner.supplemental_gids == []
    made = " ".join(values["hub"]["initContainers"][0]["command"])
    assert "chown 9999:9999 /exchange/digitlab" in made and "chmod 1733" in made


def test_every_lesson_fits_the_memory_each_student_is_guaranteed():
    """The guarantee is the largest need in the sizing table `make docs` writes."""
    from tools.docs import student_needs

    guarantee = float(config()["singleuser"]["memory"]["guarantee"].rstrip("G"))
    assert guarantee == max(student_needs().values())

