"""JupyterHub for one digitlab class on one server (classroom/README.md has the steps).

`classroom/setup_class.py` runs first: it makes the class's Unix users, the instructor's account
and each student's (whose first password is an enrolment code), the hub's private state folder
and its TLS certificate. This hub then lets in only those accounts (sign-up is closed, so no
stranger can take a name), locks a name for ten minutes after five wrong passwords, refuses
common passwords, and answers only over HTTPS. Each student's JupyterLab runs as the student's
own Unix user in a systemd unit of its own, with the memory and CPU limits below enforced by the
kernel. Servers idle for an hour are stopped. MNIST comes from one shared, read-only folder;
nbgrader's exchange carries assignments between instructor and students.

Everything site-specific comes from the environment, so this file is used as it is:
  DIGITLAB_CLASS     the class's folder (default /srv/digitlab): class-list.txt, mnist/
                     (`digitlab data --export`), exchange/ (nbgrader's), hub/ (the hub's state)
  DIGITLAB_TEACHER   the instructor's username (default "instructor"): the hub's admin
  DIGITLAB_PORT      the HTTPS port (default 443)
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from authenticator import ClassAuthenticator, must_choose_password  # noqa: E402

c = get_config()  # noqa: F821  (JupyterHub provides it)

CLASS = Path(os.environ.get("DIGITLAB_CLASS", "/srv/digitlab"))
TEACHER = os.environ.get("DIGITLAB_TEACHER", "instructor")
STATE = CLASS / "hub"  # the database, cookie secret and TLS key: root's alone
# Every lesson peaks under 2 GB (docs/instructor-guide.md's table): 3 GB leaves room to spare.
MEMORY_LIMIT = "3G"
IDLE_MINUTES = 60

# The hub refuses to start on state anyone else can read: password hashes live there.
_secrets = [STATE, STATE / "jupyterhub.sqlite", STATE / "cookie_secret", STATE / "tls/key.pem"]
_loose = [p for p in _secrets if not p.exists() or p.stat().st_mode & 0o077
          or p.stat().st_uid != os.geteuid()]
if _loose:
    raise SystemExit(f"{_loose[0]} is missing, or readable by others: run "
                     f"classroom/setup_class.py {CLASS} first (classroom/README.md)")

# Who: the accounts setup_class.py made, and no others. Students log in with their enrolment
# code, which only lets them choose a password at /hub/change-password (authenticator.py); five
# wrong passwords lock a name from that address, twenty on any names lock the address.
c.JupyterHub.authenticator_class = ClassAuthenticator
c.NativeAuthenticator.enable_signup = False
c.Authenticator.allow_all = True  # every account: only setup_class.py makes them
c.Authenticator.admin_users = {TEACHER}
c.NativeAuthenticator.allowed_failed_logins = 5
c.NativeAuthenticator.seconds_before_next_try = 600
c.ClassAuthenticator.enrolment_file = str(STATE / "enrolment.json")

# How: HTTPS only, with setup_class.py's certificate (or the instructor's own), Mozilla's
# "intermediate" settings (TLS 1.2 with forward-secret AEAD ciphers, or TLS 1.3), HSTS, and
# cookies that are Secure and not sent with another site's requests.
c.JupyterHub.bind_url = f"https://:{os.environ.get('DIGITLAB_PORT', '443')}"
c.JupyterHub.ssl_cert = str(STATE / "tls" / "cert.pem")
c.JupyterHub.ssl_key = str(STATE / "tls" / "key.pem")
INTERMEDIATE_CIPHERS = ":".join([
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305"])
c.ConfigurableHTTPProxy.command = ["configurable-http-proxy", "--ssl-ciphers",
                                   INTERMEDIATE_CIPHERS]
c.JupyterHub.tornado_settings = {
    "headers": {"Strict-Transport-Security": "max-age=63072000"},
    "cookie_options": {"samesite": "Lax", "secure": True},
    "xsrf_cookie_kwargs": {"samesite": "Strict", "secure": True},
}
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")

# Where: each student's server as the student's own Unix user (made by setup_class.py, home
# 0700), in a systemd unit with its limits enforced. Not systemd's dynamic users: those units
# see the whole file system read-only (ProtectSystem=strict), nbgrader's exchange included.
c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
c.SystemdSpawner.dynamic_users = False
c.SystemdSpawner.isolate_tmp = True  # a /tmp of its own: no reading another's temporary files
# ... in memory, counted in the unit's 3 GB: no student fills the server's disk through /tmp (her
# home and the exchange are file systems of their own, setup_class.py's disks).
c.SystemdSpawner.unit_extra_properties = {
    "TemporaryFileSystem": "/tmp:size=512M,mode=1777 /var/tmp:size=64M,mode=1777"}
c.SystemdSpawner.isolate_devices = True
c.SystemdSpawner.disable_user_sudo = True  # but for the instructor: see the hook below
c.Spawner.mem_limit = MEMORY_LIMIT
c.Spawner.cpu_limit = 1.0  # one core's worth each: training students do not starve the rest
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "DIGITLAB_DATA": str(CLASS / "mnist"),  # read-only and shared: no download per student
    "DIGITLAB_CLASS": str(CLASS),  # nbgrader_config.py finds the autograde sandbox here
    # nbgrader's student side (fetch, submit) finds the course and the exchange here
    "JUPYTER_CONFIG_PATH": str(Path(__file__).resolve().parent),
    "NBGRADER_EXCHANGE": str(CLASS / "exchange"),
}



def before_spawn(spawner):
    """A student on her enrolment code chooses a password first; the instructor's server may use
    sudo, for the one command its sudo rule allows: the autograde sandbox (CLASS/grade)."""
    must_choose_password(spawner)
    if spawner.user.name == TEACHER and hasattr(spawner, "disable_user_sudo"):
        spawner.disable_user_sudo = False


c.Spawner.pre_spawn_hook = before_spawn

# When: stop servers idle for an hour, so a forgotten tab does not hold 2 GB all afternoon.
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={IDLE_MINUTES * 60}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
