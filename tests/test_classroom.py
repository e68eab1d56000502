"""The classroom kit as an instructor runs it, and as an outsider would attack it.

`classroom/new_course.py` makes the course folder and `nbgrader generate_assignment` the student
versions, the same as `digitlab student` makes, however a notebook is marked. Then a class on
classroom/jupyterhub_config.py, set up by classroom/setup_class.py with real Unix users: a
stranger can take no one's name, wrong passwords lock, common ones are refused, the hub answers
only over HTTPS and its state is root's alone; three students run notebook 00 at once, each as
their own Unix user, and none can read another's work, the hub's database or submit as another;
the instructor collects, autogrades and returns feedback: the solutions score full marks, an
untouched notebook zero, one wrong answer its point off."""

import asyncio
import functools
import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest
from helpers import REAL_DATA, require
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell
from nbgrader.api import Gradebook

from digitlab import student
from tools import browser

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "classroom"
sys.path.insert(0, str(CLASSROOM))
from new_course import LESSONS, new_course  # noqa: E402
from setup_class import MARK  # noqa: E402

from digitlab.sandbox import GRADER_MARK  # noqa: E402

pytestmark = pytest.mark.hub


def nbgrader(course: Path, *args: str, fails: bool = False) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course folder, as an instructor would; it must succeed,
    or (`fails`) it must fail."""
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls `alembic` from its environment
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    assert (done.returncode != 0) == fails, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    assert len(new_course(folder)) == len(LESSONS)
    nbgrader(folder, "generate_assignment", "*")
    return folder


def test_a_course_folder_is_never_set_up_twice(course):
    with pytest.raises(FileExistsError):
        new_course(course)


def test_nbgrader_releases_what_digitlab_student_makes(course):
    for lesson in LESSONS:
        released = nbformat.read(course / "release" / lesson.stem / lesson.name, as_version=4)
        assert released == student.student_notebook(nbformat.read(lesson, as_version=4))
        assert "HIDDEN TESTS" not in nbformat.writes(released)


def _cell(kind: str, source: str, markdown: bool = False):
    """A cell as nbgrader's create-assignment toolbar marks it: a `solution`, a `test`, a
    manually graded `answer` (markdown) or a `locked` cell."""
    cell = (new_markdown_cell if markdown else new_code_cell)(source)
    cell.metadata["nbgrader"] = {
        "grade": kind in ("test", "answer"), "solution": kind in ("solution", "answer"),
        "locked": kind in ("test", "locked"), "grade_id": f"{kind}-1", "schema_version": 3,
        **({"points": 1} if kind in ("test", "answer") else {})}
    return cell


# Notebooks written a little differently from the course's own, each as nbgrader reads them.
MARKED = {
    "one_hash": _cell("solution", "x = ...\n# BEGIN SOLUTION\nx = 42\n# END SOLUTION\nx"),
    "no_markers": _cell("solution", "x = 42  # the whole cell is the answer"),
    "markdown_answer": _cell("answer", "The answer is **42**, because...", markdown=True),
    "two_hash_hidden": _cell("test", "assert x\n## BEGIN HIDDEN TESTS\nassert x == 42\n"
                                     "## END HIDDEN TESTS"),
    "two_spaces": _cell("solution", "x = ...\n###  BEGIN SOLUTION\nx = 42\n###  END SOLUTION"),
    "trailing_words": _cell("solution", "x = ...\n### BEGIN SOLUTION  # here\nx = 42\n"
                                        "### END SOLUTION  # here"),
}
MARKED["pasted_image"] = _cell("answer", "See ![mine](attachment:42.png)", markdown=True)
MARKED["pasted_image"].attachments = {"42.png": {"image/png": "iVBORw0KGgo="}}
IN_A_STRING = _cell("locked", 'MARKERS = """\n### BEGIN SOLUTION\n42\n### END SOLUTION\n"""')
RAW_ANSWER = new_raw_cell("42", metadata=_cell("solution", "").metadata)


def _notebook(cell):
    nb = new_notebook(cells=[new_markdown_cell("# An exercise"), cell])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    return nb


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    """A course whose assignment `marked` holds one notebook per way of marking, and whose
    assignment `refused` holds a notebook nbgrader refuses; nbgrader's answer to each."""
    folder = tmp_path_factory.mktemp("marked")
    shutil.copy(CLASSROOM / "nbgrader_config.py", folder)
    for assignment, cells in (("marked", MARKED), ("refused", {"in_a_string": IN_A_STRING}),
                              ("refused_raw", {"raw_answer": RAW_ANSWER})):
        (folder / "source" / assignment).mkdir(parents=True)
        for name, cell in cells.items():
            nbformat.write(_notebook(cell), folder / "source" / assignment / f"{name}.ipynb")
    nbgrader(folder, "generate_assignment", "marked")
    refusals = [nbgrader(folder, "generate_assignment", name, fails=True).stderr
                for name in ("refused", "refused_raw")]
    return folder, "\n".join(refusals)


@pytest.mark.parametrize("name", MARKED)
def test_digitlab_student_writes_what_nbgrader_writes_however_a_cell_is_marked(name, marked):
    folder, _ = marked
    released = nbformat.read(folder / "release" / "marked" / f"{name}.ipynb", as_version=4)
    ours = student.student_notebook(
        nbformat.read(folder / "source" / "marked" / f"{name}.ipynb", as_version=4))
    assert ours == released
    assert not [c.source for c in ours.cells if "42" in c.source]  # no answer, no hidden test
    assert not [c for c in ours.cells if c.get("attachments")]


def test_digitlab_student_refuses_what_nbgrader_refuses(marked, tmp_path, capsys):
    from digitlab import cli

    folder, log = marked
    assert "Solution region detected in a non-solution cell" in log
    assert not (folder / "release" / "refused" / "in_a_string.ipynb").exists()
    assert cli.main(["student", str(folder / "source" / "refused"), str(tmp_path / "out")]) == 2
    assert "Solution region detected in a non-solution cell" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert not (folder / "release" / "refused_raw").exists()  # nbgrader fails on a raw answer
    assert cli.main(["student", str(folder / "source" / "refused_raw"), str(tmp_path / "o")]) == 2
    assert "a raw cell is marked for grading" in capsys.readouterr().err


def test_the_hub_will_not_start_on_state_others_can_read(tmp_path, monkeypatch):
    import runpy

    from traitlets.config import Config

    state = tmp_path / "hub"
    (state / "tls").mkdir(parents=True)
    for secret in ("jupyterhub.sqlite", "cookie_secret", "tls/key.pem"):
        (state / secret).write_text("")
        (state / secret).chmod(0o600)
    monkeypatch.setenv("DIGITLAB_CLASS", str(tmp_path))
    config = str(CLASSROOM / "jupyterhub_config.py")
    state.chmod(0o755)  # as a plain mkdir leaves it
    with pytest.raises(SystemExit, match=f"{state} is missing, or readable by others"):
        runpy.run_path(config, init_globals={"get_config": Config})
    state.chmod(0o700)
    c = runpy.run_path(config, init_globals={"get_config": Config})["c"]
    assert c.JupyterHub.bind_url.startswith("https://") and not c.NativeAuthenticator.enable_signup


# --- a class on one server, with real Unix users --------------------------------------------

TEACHER, GROUP = "t-teacher", "t-digitlab"  # not names a real class on this machine would use
# ada answers every exercise, ben none, cy one wrongly; eve attacks the grading
STUDENTS = ("t-ada", "t-ben", "t-cy", "t-eve")
LATE = "t-dee"
GRADER = "t-digitlab-grader"
SUDOERS = Path("/etc/sudoers.d/digitlab-grade-test")


def setup_class(folder: Path) -> str:
    """classroom/setup_class.py on `folder`, as root, with no terminal; what it printed."""
    done = subprocess.run(
        [sys.executable, str(CLASSROOM / "setup_class.py"), str(folder), "--teacher", TEACHER,
         "--group", GROUP, "--home-base", str(folder / "home"), "--host", "127.0.0.1",
         "--host", "localhost", "--grader", GRADER, "--sudoers", str(SUDOERS),
         "--disk-size", "64M", "--exchange-size", "128M", "--inbound-size", "32M",
         "--fstab", str(folder / "fstab")],
        capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done.stdout


def enrolment_codes(folder: Path) -> dict[str, str]:
    lines = (folder / "hub" / "enrolment-codes.txt").read_text().splitlines()
    return dict(line.split() for line in lines if not line.startswith("#"))


def remove_test_users() -> None:
    """Remove the Unix users and group a test class left (a killed run's too)."""
    for name in (TEACHER, *STUDENTS, LATE, GRADER):
        try:
            if pwd.getpwnam(name).pw_gecos not in (MARK, GRADER_MARK):
                pytest.fail(f"{name} is a user of this machine that no test made: not touched")
        except KeyError:
            continue
        subprocess.run(["userdel", name], check=True)
    subprocess.run(["groupdel", GROUP], capture_output=True)
    SUDOERS.unlink(missing_ok=True)


def grant_passage(paths: list[Path]) -> dict[Path, bool]:
    """Let the class's group and the grading user pass through each folder above `paths` that
    others may not pass (`/root`, where this machine keeps its Python, say), as /opt is on a
    class server; the folders changed, each with whether it had an access list of its own."""
    changed = {}
    for path in paths:
        for folder in [*reversed(path.parents), path]:
            if folder.is_dir() and not folder.stat().st_mode & 0o001 and folder not in changed:
                had = subprocess.run(["getfacl", "--skip-base", "--absolute-names", str(folder)],
                                     capture_output=True, text=True, check=True).stdout.strip()
                subprocess.run(["setfacl", "-m", f"g:{GROUP}:x,u:{GRADER}:x", str(folder)],
                               check=True)
                changed[folder] = bool(had)
    return changed


def take_back_passage(changed: dict[Path, bool]) -> None:
    for folder, had in changed.items():  # -b: back to plain modes, the mask entry gone too
        subprocess.run(["setfacl", "-x", f"g:{GROUP},u:{GRADER}", str(folder)] if had else
                       ["setfacl", "-b", str(folder)], check=True)


class Hub:
    """JupyterHub on classroom/jupyterhub_config.py in a class folder that setup_class.py made,
    over HTTPS; its REST API with a token of a test service (admin of users and servers)."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.token = folder, browser.free_port(), secrets.token_hex(16)
        self.url = f"https://127.0.0.1:{self.port}"
        self.tls = ssl.create_default_context(cafile=folder / "hub" / "tls" / "cert.pem")
        config = folder / "hub" / "test_hub_config.py"
        config.write_text(f"""
c = get_config()
load_subconfig({str(CLASSROOM / "jupyterhub_config.py")!r})
# No systemd on a test machine: JupyterHub's local process spawner runs each server as the
# student's Unix user, as SystemdSpawner does, but cannot enforce the memory and CPU limits (the
# test measures memory instead).
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{str(Path(sys.executable).parent / "jupyterhub-singleuser")!r}]
c.Spawner.environment["DIGITLAB_QUICK"] = "1"
c.JupyterHub.bind_url = "https://127.0.0.1:{self.port}"
c.JupyterHub.hub_port = {browser.free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{browser.free_port()}"
c.JupyterHub.services.append({{"name": "class-test", "api_token": {self.token!r}}})
c.JupyterHub.load_roles.append({{"name": "class-test", "services": ["class-test"],
    "scopes": ["admin:users", "admin:servers", "access:servers", "list:services",
               "read:services"]}})
""")
        env = {**os.environ, "DIGITLAB_CLASS": str(folder), "DIGITLAB_TEACHER": TEACHER,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        self.log = open(folder / "hub" / "hub.log", "w")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)],
            cwd=folder / "hub", env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            self.wait_for(self.up, "the hub to start")
        except BaseException:
            self.stop()
            raise

    def up(self) -> bool:
        try:
            return self.api("GET", "/hub/api/") is not None
        except AssertionError:  # the proxy answers 404 until the hub has set up its routes
            return False

    def api(self, method: str, path: str, body: dict | None = None):
        """One REST call through the proxy; its JSON answer (None while nothing answers)."""
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"},
            data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.tls) as answer:
                text = answer.read()
                return json.loads(text) if text else {}
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: {e.code} {e.read()[:500]}") from None
        except OSError:  # nothing listening yet
            return None

    def wait_for(self, ready, what: str, seconds: float = 120):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub stopped: {self.log_text()[-3000:]}")
            answer = ready()
            if answer:
                return answer
            time.sleep(0.5)
        raise TimeoutError(f"waiting for {what}: {self.log_text()[-3000:]}")

    def log_text(self) -> str:
        return (self.folder / "hub" / "hub.log").read_text()

    def processes(self) -> set[int]:
        """The hub and every process under it: proxy, services, servers, kernels."""
        children = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                pid, rest = stat.read_text().split(") ", 1)  # a name may hold spaces
            except OSError:
                continue
            children.setdefault(int(rest.split()[1]), []).append(int(pid.split(" (")[0]))
        found, todo = set(), [self.process.pid]
        while todo:
            pid = todo.pop()
            found.add(pid)
            todo += children.get(pid, [])
        return found

    def stop(self) -> list[int]:
        """Stop the hub as an admin would (SIGTERM), which stops the servers and the proxy;
        the processes it left running (killed now, so a failed test leaves none either)."""
        running = self.processes()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            pass
        left = [pid for pid in running if _alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        self.log.close()
        return left


def _alive(pid: int) -> bool:
    try:  # a zombie has ended: only its exit status waits to be collected
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def hub():
    """A class of three and its instructor on a running hub: the Hub, its class folder, the
    instructor's password and the students' enrolment codes."""
    require(os.geteuid() == 0, "root: the class test makes Unix users (CI runs as root)")
    require(shutil.which("configurable-http-proxy") is not None,
            "configurable-http-proxy (JupyterHub's proxy): npm install -g configurable-http-proxy")
    require(shutil.which("setfacl") is not None, "the Debian package acl (setfacl)")
    require(shutil.which("sudo") is not None, "the Debian package sudo (the autograde sandbox)")
    require(shutil.which("ip") is not None, "the Debian package iproute2 (the autograde sandbox)")
    require(bool(REAL_DATA), "DIGITLAB_DATA: the students' notebooks read the real MNIST")
    remove_test_users()
    folder = Path(tempfile.mkdtemp(prefix="digitlab-class-"))
    (folder / "mnist").symlink_to(Path(REAL_DATA).resolve())
    (folder / "class-list.txt").write_text("\n".join(STUDENTS) + "\n")
    changed = {}
    try:
        printed = setup_class(folder)
        password = re.search(rf"{TEACHER}'s password, shown this once: (\S+)", printed)[1]
        changed = grant_passage([Path(sys.executable).resolve(), Path(sys.prefix), ROOT,
                                 Path(REAL_DATA).resolve()])
        running = Hub(folder)
        try:
            yield running, folder, password, enrolment_codes(folder)
        finally:
            left = running.stop()
        assert not left  # the hub stopped every server, kernel, service and the proxy
    finally:
        take_back_passage(changed)
        unmount_below(folder)
        remove_test_users()
        shutil.rmtree(folder)


def unmount_below(folder: Path) -> None:
    """Unmount the class's disks (the students' homes, the exchange), deepest first."""
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    for point in sorted((p for p in points if p.startswith(f"{folder}/")), key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], check=True)


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is the answer: urllib raises it as an HTTPError


class _From(urllib.request.HTTPSHandler):
    """HTTPS from a chosen loopback address: 127.0.0.2 is another computer to the hub."""

    def __init__(self, context: ssl.SSLContext, address: str):
        super().__init__(context=context)
        self.address = address

    def https_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPSConnection,
                                              source_address=(self.address, 0)),
                            req, context=self._context)


class Browser:
    """A visitor's browser at `address`: cookies kept, redirects shown, the hub's certificate
    trusted."""

    def __init__(self, hub: Hub, address: str = "127.0.0.1"):
        self.hub = hub
        self.opener = urllib.request.build_opener(
            _From(hub.tls, address), urllib.request.HTTPCookieProcessor(), _Stay())

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.hub.url + path) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode(errors="replace")

    def post(self, path: str, fields: dict, form: str = "/hub/login") -> tuple[int, str]:
        """Post `fields` as the form on page `form` would (with its XSRF token)."""
        page = self.get(form)[1]
        fields["_xsrf"] = re.search(r'name="_xsrf" value="([^"]+)"', page)[1]
        try:
            with self.opener.open(self.hub.url + path,
                                  urllib.parse.urlencode(fields).encode()) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode(errors="replace")

    def logs_in(self, name: str, password: str) -> bool:
        """Whether the hub lets `name` in (it redirects a good login onwards)."""
        return self.post("/hub/login", {"username": name, "password": password})[0] == 302


def test_setup_keeps_the_hubs_state_to_root(hub):
    _, folder, _, codes = hub
    state = folder / "hub"
    assert set(codes) == set(STUDENTS)
    assert state.stat().st_mode & 0o777 == 0o700 and state.stat().st_uid == 0
    for secret in ("jupyterhub.sqlite", "cookie_secret", "tls/key.pem", "enrolment-codes.txt"):
        assert (state / secret).stat().st_mode & 0o777 == 0o600, secret
    assert folder.stat().st_mode & 0o777 == 0o750  # the class's group enters, no one else
    for name in (TEACHER, *STUDENTS):
        assert Path(pwd.getpwnam(name).pw_dir).stat().st_mode & 0o777 == 0o700


def test_the_certificate_is_a_leaf_for_this_server_alone(hub):
    from cryptography import x509

    _, folder, _, _ = hub
    cert = x509.load_pem_x509_certificate((folder / "hub" / "tls" / "cert.pem").read_bytes())
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign and not usage.crl_sign
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]


def test_tls_is_mozilla_intermediate_with_hsts_and_strict_cookies(hub):
    import socket

    hub = hub[0]

    def handshake(**settings) -> bool:
        context = ssl.create_default_context(cafile=hub.folder / "hub" / "tls" / "cert.pem")
        for name, value in settings.items():
            setattr(context, name, value) if name != "ciphers" else context.set_ciphers(value)
        try:
            with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as raw:
                context.wrap_socket(raw, server_hostname="127.0.0.1").close()
            return True
        except ssl.SSLError:
            return False

    assert handshake()
    assert handshake(maximum_version=ssl.TLSVersion.TLSv1_2)  # with an AEAD cipher
    assert not handshake(maximum_version=ssl.TLSVersion.TLSv1_2,
                         ciphers="ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384")  # CBC
    answer = urllib.request.urlopen(hub.url + "/hub/login", context=hub.tls)
    assert "max-age=" in answer.headers["Strict-Transport-Security"]
    cookies = answer.headers.get_all("Set-Cookie")
    xsrf = [c for c in cookies if c.startswith("_xsrf=")]
    assert xsrf and all("secure" in c.lower() and "samesite=strict" in c.lower() for c in xsrf)


def test_setup_refuses_a_taken_name_before_making_anything(tmp_path):
    import setup_class

    require(os.geteuid() == 0, "root: setup_class.py makes Unix users")
    require(bool(shutil.which("sudo") and shutil.which("ip")),
            "the Debian packages sudo and iproute2")
    (tmp_path / "class-list.txt").write_text("t-fay\n")
    made = lambda: [n for n in ("t-new-teacher", "t-fay") if _user(n)]  # noqa: E731
    for teacher, password, why in (("nobody", None, "already a user"),
                                   ("t-new-teacher", "abc", "10 characters or more"),
                                   ("t-new-teacher", "password123", "not a common")):
        with pytest.raises(setup_class.SetupError, match=why):
            setup_class.setup(tmp_path, teacher, GROUP, ["localhost"], tmp_path / "home",
                              password, sudoers=tmp_path / "sudoers")
    subprocess.run(["groupadd", "t-fay"], check=True)
    try:
        with pytest.raises(setup_class.SetupError, match="t-fay is already a group"):
            setup_class.setup(tmp_path, "t-new-teacher", GROUP, ["localhost"],
                              tmp_path / "home", sudoers=tmp_path / "sudoers")
    finally:
        subprocess.run(["groupdel", "t-fay"], check=True)
    assert made() == [] and not (tmp_path / "hub").exists()


def _user(name: str) -> bool:
    try:
        return bool(pwd.getpwnam(name))
    except KeyError:
        return False


def test_a_stranger_cannot_sign_up_as_the_instructor_or_a_student(hub):
    hub = hub[0]
    for name in (TEACHER, "t-ada", "mallory"):
        stranger = Browser(hub)
        assert stranger.get("/hub/signup")[0] == 404
        assert stranger.post("/hub/signup", {
            "username": name, "signup_password": "a stranger's pass",
            "signup_password_confirmation": "a stranger's pass"})[0] == 404
        assert not stranger.logs_in(name, "a stranger's pass")
        for page in ("/hub/admin", "/hub/authorize", "/hub/api/users", f"/user/{name}/api"):
            assert stranger.get(page)[0] in (302, 403), page  # to the login page, or refused


def test_a_student_is_not_the_admin(hub):
    hub, _, _, codes = hub
    ben = Browser(hub)
    assert ben.logs_in("t-ben", codes["t-ben"])
    assert ben.get("/hub/admin")[0] == 403
    assert ben.get("/hub/authorize")[0] == 403


def test_wrong_passwords_lock_the_name_from_that_address_only(hub):
    hub, _, _, codes = hub
    guesser = Browser(hub)
    for attempt in range(5):
        assert not guesser.logs_in("t-cy", f"guess number {attempt}")
    assert not guesser.logs_in("t-cy", codes["t-cy"])  # right, but locked for ten minutes
    assert not Browser(hub).logs_in("t-cy", codes["t-cy"])  # from that address
    assert Browser(hub, "127.0.0.3").logs_in("t-cy", codes["t-cy"])  # cy, from her own


def test_an_address_that_guesses_many_names_is_locked(hub):
    hub, _, _, codes = hub
    sprayer = Browser(hub, "127.0.0.4")
    for attempt in range(20):
        assert not sprayer.logs_in(f"t-nobody-{attempt}", "a guessed password")
    assert not Browser(hub, "127.0.0.4").logs_in("t-ben", codes["t-ben"])
    assert Browser(hub, "127.0.0.5").logs_in("t-ben", codes["t-ben"])


def test_an_unknown_name_takes_as_long_as_a_known_one(hub):
    hub = hub[0]

    def seconds(name: str, address: str) -> float:
        visitor = Browser(hub, address)
        visitor.get("/hub/login")
        start = time.perf_counter()
        assert not visitor.logs_in(name, "not the password at all")
        return time.perf_counter() - start

    # In turns, so that a busy machine slows both alike; before, an unknown name answered about
    # a hundred times sooner than a known one (5 ms against 500).
    pairs = [(seconds("t-ben", f"127.0.1.{i}"), seconds("t-nobody", f"127.0.2.{i}"))
             for i in range(5)]
    known, unknown = (sorted(times)[2] for times in zip(*pairs, strict=True))
    assert known > 0.05 and 1 / 3 < unknown / known < 3, pairs


def test_the_hub_stays_fast_while_logins_are_attacked(hub):
    hub = hub[0]

    def health() -> float:
        start = time.perf_counter()
        assert Browser(hub).get("/hub/health")[0] == 200
        return time.perf_counter() - start

    quiet = sorted(health() for _ in range(5))[2]

    def attack(client: int) -> None:
        for attempt in range(4):
            Browser(hub, f"127.0.3.{client}").logs_in(f"t-ada-{attempt}", "wrong, and slow")

    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        burst = [pool.submit(attack, client) for client in range(6)]
        time.sleep(0.3)
        attacked = []
        while not all(f.done() for f in burst):
            attacked.append(health())
        [f.result() for f in burst]
    print(f"/hub/health: {quiet * 1000:.0f} ms quiet, at most {max(attacked) * 1000:.0f} ms "
          f"during 24 wrong logins from 6 addresses ({len(attacked)} calls)")
    assert len(attacked) > 3 and max(attacked) < 0.3


def enrol(hub: Hub, folder: Path, name: str, code: str, address: str = "127.0.0.6") -> None:
    """`name` logs in with her enrolment code and chooses a password, unless she has."""
    if name not in json.loads((folder / "hub" / "enrolment.json").read_text()):
        return
    student = Browser(hub, address)
    assert student.logs_in(name, code)
    new = f"{name}'s own long passphrase"
    assert "changed successfully" in student.post("/hub/change-password", {
        "old_password": code, "new_password": new, "new_password_confirmation": new},
        form="/hub/change-password")[1]


def test_an_enrolment_code_only_chooses_a_password_and_expires(hub):
    hub, folder, _, codes = hub
    ben = Browser(hub, "127.0.0.7")
    assert ben.logs_in("t-ben", codes["t-ben"])
    status, page = ben.get("/hub/spawn")
    assert "Choose your own password first" in page, (status, page[-2000:])
    # a wrong current password at /hub/change-password counts as a failed login
    for attempt in range(5):
        assert "incorrect" in ben.post("/hub/change-password", {
            "old_password": f"guess {attempt}", "new_password": "x" * 12,
            "new_password_confirmation": "x" * 12}, form="/hub/change-password")[1]
    assert not Browser(hub, "127.0.0.7").logs_in("t-ben", codes["t-ben"])
    enrol(hub, folder, "t-ben", codes["t-ben"])
    assert "t-ben" not in (folder / "hub" / "enrolment-codes.txt").read_text()  # spent
    pending = folder / "hub" / "enrolment.json"
    expiries = json.loads(pending.read_text())
    pending.write_text(json.dumps({**expiries, "t-cy": time.time() - 1}))
    try:
        assert not Browser(hub, "127.0.0.8").logs_in("t-cy", codes["t-cy"])  # expired
    finally:
        pending.write_text(json.dumps(expiries))


def test_a_student_chooses_a_password_but_not_a_common_one(hub):
    hub, _, _, codes = hub
    ada = Browser(hub)
    assert ada.logs_in("t-ada", codes["t-ada"])

    def change(new: str) -> str:
        return ada.post("/hub/change-password", {
            "old_password": codes["t-ada"], "new_password": new,
            "new_password_confirmation": new}, form="/hub/change-password")[1]

    assert "changed successfully" not in change("1234567890")  # long enough, but common
    assert "changed successfully" in change("ada's own long passphrase")
    assert Browser(hub).logs_in("t-ada", "ada's own long passphrase")
    assert not Browser(hub).logs_in("t-ada", codes["t-ada"])  # the code is spent


def listening(pids: set[int]) -> set[tuple[str, int]]:
    """The (address, port) of each TCP socket the processes `pids` listen on."""
    inodes = set()
    for pid in pids:
        try:
            inodes |= {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state, inode = line.split()[1], line.split()[3], line.split()[9]
            if state == "0A" and f"socket:[{inode}]" in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                words = [bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, len(address), 8)]
                found.add((socket_address(b"".join(words)), int(port, 16)))
    return found


def socket_address(packed: bytes) -> str:
    import ipaddress

    return str(ipaddress.ip_address(packed))


def test_the_hub_answers_only_over_https_and_listens_inside_on_loopback(hub):
    hub = hub[0]
    plain = f"http://127.0.0.1:{hub.port}/hub/login"
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        urllib.request.urlopen(plain, timeout=10)  # no answer in clear
    assert Browser(hub).get("/hub/login")[0] == 200  # the same port over TLS
    for address, port in listening(hub.processes()):
        assert port == hub.port or address in ("127.0.0.1", "::1"), (address, port)


class Kernel:
    """A kernel on a student's server, driven through the server's kernel API and websocket, as
    JupyterLab drives it."""

    @classmethod
    async def start(cls, hub: Hub, user: str) -> "Kernel":
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        self = cls()
        self.hub, self.user, self.session = hub, user, uuid.uuid4().hex
        kernels = f"/user/{user}/api/kernels"
        self.path = f"{kernels}/{(await asyncio.to_thread(hub.api, 'POST', kernels, {}))['id']}"
        self.ws = await websocket_connect(HTTPRequest(
            f"wss://127.0.0.1:{hub.port}{self.path}/channels", ssl_options=hub.tls,
            headers={"Authorization": f"token {hub.token}"}))
        return self

    async def run(self, source: str) -> tuple[list[str], str]:
        """Execute one cell; the errors it raised, as "Name: message", and what it printed."""
        msg_id, errors, printed = uuid.uuid4().hex, [], []
        await self.ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "session": self.session, "username": self.user,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": source, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        replied = idle = False
        while not (replied and idle):
            message = json.loads(await asyncio.wait_for(self.ws.read_message(), 300))
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            if kind == "error":
                errors.append(f"{message['content']['ename']}: {message['content']['evalue']}")
            if kind == "stream":
                printed.append(message["content"]["text"])
            replied |= kind == "execute_reply"
            idle |= kind == "status" and message["content"]["execution_state"] == "idle"
        return errors, "".join(printed)

    async def sh(self, *command: str, cwd: str = "~") -> str:
        """Run a command in the student's server, as the student: its log; fails if it did."""
        errors, printed = await self.run(
            "import os, subprocess\n"
            f"done = subprocess.run({list(command)!r}, cwd=os.path.expanduser({cwd!r}), "
            "capture_output=True, text=True)\n"
            "print(done.stdout + done.stderr)\n"
            "assert done.returncode == 0, done.stderr[-3000:]")
        assert not errors, errors
        return printed

    async def shut_down(self):
        self.ws.close()
        await asyncio.to_thread(self.hub.api, "DELETE", self.path)


def peak_memory_mb(hub: Hub, user: str) -> float:
    """The peak resident memory of `user`'s server and kernels together, in MB."""
    total = 0
    for pid in hub.processes():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if f"JUPYTERHUB_USER={user}".encode() in environ:
            total += int(status.split("VmHWM:")[1].split()[0])  # kB
    return total / 1024


def answered(notebook: Path, solutions: Path, wrong: str | None = None):
    """A released notebook with each exercise answered by the source's solution; the exercise
    `wrong` answered with its two values swapped."""
    nb = nbformat.read(notebook, as_version=4)
    solved = {c.id: c.source for c in nbformat.read(solutions, as_version=4).cells}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = solved[cell.id]
        if wrong and cell.metadata.get("nbgrader", {}).get("grade_id") == wrong:
            cell.source += "\nheaviest, lightest = lightest, heaviest"
    return nb


# What t-ada's own Unix user tries, in her kernel, once everyone has submitted; PermissionError
# is the answer wanted each time.
PRYING = """
import glob, os

ben, cls = os.path.expanduser("~t-ben"), {folder!r}
inbound = cls + "/exchange/digitlab/inbound"
tries = {{
    "ben's home": lambda: os.listdir(ben),
    "ben's drawings": lambda: open(ben + "/my_digits.npz", "rb").read(),
    "ben's notebook": lambda: open(ben + "/{lesson}/{lesson}.ipynb").read(),
    "the submissions": lambda: os.listdir(inbound),
    "the hub's database": lambda: open(cls + "/hub/jupyterhub.sqlite", "rb").read(),
    "the hub's folder": lambda: os.listdir(cls + "/hub"),
    "the released assignment": lambda: open(cls + "/exchange/digitlab/outbound/x", "w"),
    "the course's exchange folder": lambda: os.rmdir(cls + "/exchange/digitlab"),
}}
leaks = []
for what, attempt in tries.items():
    try:
        attempt()
        leaks.append(what)
    except PermissionError:
        pass
assert not leaks, leaks
"""


# What t-eve puts at the top of her first exercise, to run when the instructor autogrades: each
# attempt that of a student who got her code run as the instructor (the probe that filed this).
HOSTILE = """
import json as _j, os as _o, socket as _s, subprocess as _p
_tries = {{
    "read the source notebook": lambda: open({source!r}).read(),
    "read the gradebook": lambda: open({gradebook!r}, "rb").read(),
    "list the submissions": lambda: _o.listdir({submitted!r}),
    "list the instructor's home": lambda: _o.listdir({home!r}),
    "write the gradebook": lambda: open({gradebook!r}, "ab"),
    "append to .bashrc": lambda: open({home!r} + "/.bashrc", "a").write("echo eve\\n"),
    "write an IPython start-up file": lambda: (
        _o.makedirs({home!r} + "/.ipython/profile_default/startup", exist_ok=True),
        open({home!r} + "/.ipython/profile_default/startup/00-eve.py", "w").write("1")),
    "write in the exchange's root": lambda: open({exchange!r} + "/eve-was-here", "w"),
    "reach the hub": lambda: _s.create_connection(("127.0.0.1", {port}), timeout=3),
    "take the hub's token": lambda: _o.environ["JUPYTERHUB_API_TOKEN"],
}}
_leaks = []
for _what, _try in _tries.items():
    try:
        _try()
        _leaks.append(_what)
    except (OSError, KeyError):
        pass
_p.Popen(["sleep", "601"], start_new_session=True)  # to rewrite the grades later
print("EVE " + _j.dumps(_leaks))
print("<script>eve_payload()</script>")
from IPython.display import HTML as _H, display as _d
_d(_H("<script>eve_payload()</script><img src=x onerror=eve_payload()>"))
"""


def test_a_class_works_each_as_their_own_user_and_is_graded(hub):
    hub, folder, _, codes = hub
    lesson = LESSONS[0]
    users = (TEACHER, *STUDENTS)
    for user in STUDENTS:
        enrol(hub, folder, user, codes[user], address="127.0.0.9")
    for user in users:
        hub.api("POST", f"/hub/api/users/{user}/server")
    for user in users:
        hub.wait_for(lambda u=user: hub.api("GET", f"/hub/api/users/{u}")["servers"].get(
            "", {}).get("ready"), f"{user}'s server")
    services = {s["name"]: s for s in hub.api("GET", "/hub/api/services").values()}
    assert services["idle-culler"]["pid"] in hub.processes()  # the culler runs
    home = {user: Path(pwd.getpwnam(user).pw_dir) for user in users}
    course = home[TEACHER] / "course"
    exchange = folder / "exchange"
    hostile = HOSTILE.format(
        source=str(course / "source" / lesson.stem / lesson.name), home=str(home[TEACHER]),
        gradebook=str(course / "gradebook.db"), submitted=str(course / "submitted"),
        exchange=str(exchange), port=hub.port)

    async def the_teacher_releases():
        teacher = await Kernel.start(hub, TEACHER)
        await teacher.sh(sys.executable, str(CLASSROOM / "new_course.py"), "course")
        await teacher.sh("nbgrader", "generate_assignment", lesson.stem, cwd="~/course")
        await teacher.sh("nbgrader", "release_assignment", lesson.stem, cwd="~/course")
        return teacher

    async def a_student(user):
        """Fetch, run every cell (eve runs none), save, submit; the errors and peak memory."""
        kernel = await Kernel.start(hub, user)
        await kernel.sh("nbgrader", "fetch_assignment", lesson.stem)
        fetched = home[user] / lesson.stem / lesson.name
        nb = {"t-ada": answered(fetched, lesson), "t-ben": nbformat.read(fetched, as_version=4),
              "t-cy": answered(fetched, lesson, wrong="nb00_ex2"),
              "t-eve": answered(fetched, lesson)}[user]
        if user == "t-eve":
            first = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
            first.source = hostile + first.source
        errors = [] if user == "t-eve" else [e for c in nb.cells if c.cell_type == "code"
                                              for e in (await kernel.run(c.source))[0]]
        memory = peak_memory_mb(hub, user)  # the server and the kernel, still running
        await asyncio.to_thread(hub.api, "PUT", f"/user/{user}/api/contents/{lesson.stem}/"
                                f"{lesson.name}", {"type": "notebook", "content": nb})
        await kernel.sh("nbgrader", "submit", lesson.stem)
        if user == "t-ben":
            assert not (await kernel.run("import numpy as np, os\nnp.savez(os.path.expanduser("
                                         "'~/my_digits.npz'), labels=np.arange(10))"))[0]
        return kernel, errors, memory

    async def the_class():
        teacher = await the_teacher_releases()
        students = await asyncio.gather(*(a_student(user) for user in STUDENTS))
        ada, eve = students[0][0], students[3][0]
        assert not (await ada.run(PRYING.format(folder=str(folder), lesson=lesson.stem)))[0]
        # ada submits her answers again, named as ben's, after ben's own
        await ada.sh("nbgrader", "submit", lesson.stem, "--CourseDirectory.student_id=t-ben")
        # eve makes a newer submission by hand, of links to the instructor's files
        assert not (await eve.run(LINKS.format(
            inbound=str(exchange / "digitlab" / "inbound" / "t-eve"), lesson=lesson.stem,
            source=str(course / "source" / lesson.stem / lesson.name),
            gradebook=str(course / "gradebook.db"), home=str(home[TEACHER]))))[0]
        collected = await teacher.sh("nbgrader", "collect", lesson.stem, cwd="~/course")
        bashrc = (home[TEACHER] / ".bashrc").read_bytes()
        for step in ("autograde", "generate_feedback", "release_feedback"):
            await teacher.sh("nbgrader", step, lesson.stem, cwd="~/course")
        assert (home[TEACHER] / ".bashrc").read_bytes() == bashrc
        for reader in (students[2][0], eve):
            await reader.sh("nbgrader", "fetch_feedback", lesson.stem)
        for kernel, *_ in students:
            await kernel.shut_down()
        await teacher.shut_down()
        return collected, [s[1:] for s in students]

    start = time.perf_counter()
    collected, results = asyncio.run(the_class())
    seconds = time.perf_counter() - start
    errors, memory = (dict(zip(STUDENTS, x, strict=True)) for x in zip(*results, strict=True))
    assert errors == {user: [] for user in STUDENTS}  # hints, never an error
    print(f"notebook 00, quick mode, four students at once, released, collected and graded: "
          f"{seconds:.0f} s; peak memory "
          + ", ".join(f"{u} {m:,.0f} MB" for u, m in memory.items() if u != "t-eve"))
    assert all(300 < mb < 3 * 1024 for u, mb in memory.items() if u != "t-eve")  # 3G limit
    # each submission is named with the folder it was found in: ada's in her own
    assert re.search(r"Not collected: t-ada/t-ben\+.+ from t-ben: .+ belongs to t-ada",
                     collected), collected
    assert re.search(r"Not collected: t-eve/t-eve\+.+ from t-eve: .+ is not a regular file",
                     collected), collected

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {user: {g.name: g.score for g in gradebook.find_submission_notebook(
            lesson.stem, lesson.stem, user).grades} for user in STUDENTS}
    assert scores == {"t-ada": {"nb00_ex1_test": 1, "nb00_ex2_test": 1, "nb00_ex3_test": 1},
                      "t-ben": {"nb00_ex1_test": 0, "nb00_ex2_test": 0, "nb00_ex3_test": 0},
                      "t-cy": {"nb00_ex1_test": 1, "nb00_ex2_test": 0, "nb00_ex3_test": 1},
                      "t-eve": {"nb00_ex1_test": 1, "nb00_ex2_test": 1, "nb00_ex3_test": 1}}
    feedback = list((home["t-cy"] / lesson.stem / "feedback").glob("*/*.html"))
    assert len(feedback) == 1 and "Not yet" in feedback[0].read_text()  # the hint reaches cy
    assert all(p.owner() == "t-cy" for p in home["t-cy"].rglob("*"))  # all her own

    # Everything eve tried failed, and she left nothing behind.
    graded = nbformat.read(course / "autograded" / "t-eve" / lesson.stem / lesson.name, 4)
    said = "".join(o.get("text", "") for c in graded.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert json.loads(re.search(r"EVE (\[.*\])", said)[1]) == []
    submitted = course / "submitted" / "t-eve" / lesson.stem
    assert not [p for p in submitted.rglob("*") if p.is_symlink() or p.name == "gradebook.db"]
    assert not list((home[TEACHER] / ".ipython" / "profile_default").glob("startup/*.py"))
    assert sorted(p.name for p in exchange.iterdir()) == ["digitlab"]
    assert not [pid for pid in Path("/proc").glob("[0-9]*") if _runs(pid, b"sleep\x00601")]
    page = next((home["t-eve"] / lesson.stem / "feedback").glob("*/*.html")).read_text()
    assert "eve_payload" in page and not re.search(r"<script>\s*eve_payload|<img[^>]*onerror", page)


# What t-eve's own Unix user makes in the exchange: a submission, dated in the future so it is
# the newest, of links to the instructor's source notebook, gradebook and IPython folder.
LINKS = """
import os
made = {inbound!r} + "/t-eve+{lesson}+2099-01-01 00:00:00.000000 UTC+eve"
os.mkdir(made)
os.symlink({source!r}, made + "/{lesson}.ipynb")
os.symlink({gradebook!r}, made + "/gradebook.db")
os.symlink({home!r} + "/.ipython", made + "/.ipython")
"""


def _runs(pid: Path, command: bytes) -> bool:
    try:
        return (pid / "cmdline").read_bytes().rstrip(b"\0") == command
    except OSError:
        return False


FILL = """
import os
from digitlab import files

def fill(path, where):
    written = 0
    try:
        with open(path, "wb") as f:
            while written < 200 << 20:
                f.write(b"x" * (1 << 20))
                f.flush()
                written += 1 << 20
    except OSError as e:
        print(where, "full after", written >> 20, "MB:", e.strerror)

fill(os.path.expanduser("~/big.bin"), "home")
try:
    files.write_atomically(os.path.expanduser("~/my_digits.npz"), b"y" * (1 << 20))
except files.DiskFull as e:
    print(e)
os.remove(os.path.expanduser("~/big.bin"))
fill({inbound!r} + "/big.bin", "inbound")  # his folder for submissions
os.remove({inbound!r} + "/big.bin")
"""


def test_a_student_who_fills_his_home_or_inbound_folder_fills_nothing_else(hub):
    hub, folder, password, codes = hub
    enrol(hub, folder, "t-ben", codes["t-ben"], address="127.0.0.9")
    if not hub.api("GET", "/hub/api/users/t-ben")["servers"]:
        hub.api("POST", "/hub/api/users/t-ben/server")
    hub.wait_for(lambda: hub.api("GET", "/hub/api/users/t-ben")["servers"].get("", {}).get(
        "ready"), "t-ben's server")
    exchange_free = shutil.disk_usage(folder / "exchange").free
    inbound = folder / "exchange" / "digitlab" / "inbound" / "t-ben"

    async def fill():
        ben = await Kernel.start(hub, "t-ben")
        errors, said = await ben.run(FILL.format(inbound=str(inbound)))
        await ben.shut_down()
        return errors, said

    errors, said = asyncio.run(fill())
    assert not errors, errors
    full = {where: int(mb) for where, mb in
            re.findall(r"(\w+) full after (\d+) MB: No space left on device", said)}
    assert full["home"] < 64 and full["inbound"] < 32  # the disks setup_class.py gave him
    assert "not enough space for" in said and "nothing was written" in said
    # Those were his own disks, not the root's (whose free space other tests running beside
    # this one change by tens of MB, so it is no measure) nor the exchange's.
    root = os.stat(folder / "hub").st_dev
    assert os.stat(folder / "home" / "t-ben").st_dev != root and os.stat(inbound).st_dev != root
    assert abs(shutil.disk_usage(folder / "exchange").free - exchange_free) < 1 << 20
    assert Browser(hub).logs_in(TEACHER, password)  # the hub goes on


def test_a_late_student_is_added_while_the_hub_runs(hub):
    hub, folder, password, _ = hub
    with (folder / "class-list.txt").open("a") as f:
        f.write(f"{LATE}\n")
    printed = setup_class(folder)
    assert "password" not in printed  # the instructor's is shown once, the first time only
    codes = enrolment_codes(folder)
    # a code stays listed until its student chooses a password
    pending = json.loads((folder / "hub" / "enrolment.json").read_text())
    assert LATE in codes and set(codes) == set(pending)
    assert Browser(hub).logs_in(LATE, codes[LATE])
    assert Browser(hub).logs_in(TEACHER, password)  # and nothing else changed
