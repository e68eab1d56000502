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
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

from digitlab import student
from tools import browser

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "classroom"
sys.path.insert(0, str(CLASSROOM))
from new_course import LESSONS, new_course  # noqa: E402
from setup_class import MARK  # noqa: E402

pytestmark = pytest.mark.hub


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course folder, as an instructor would."""
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls `alembic` from its environment
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0 or not check, done.stderr[-3000:]
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
IN_A_STRING = _cell("locked", 'MARKERS = """\n### BEGIN SOLUTION\n42\n### END SOLUTION\n"""')


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
    for assignment, cells in (("marked", MARKED), ("refused", {"in_a_string": IN_A_STRING})):
        (folder / "source" / assignment).mkdir(parents=True)
        for name, cell in cells.items():
            nbformat.write(_notebook(cell), folder / "source" / assignment / f"{name}.ipynb")
    nbgrader(folder, "generate_assignment", "marked")
    return folder, nbgrader(folder, "generate_assignment", "refused", check=False).stderr


@pytest.mark.parametrize("name", MARKED)
def test_digitlab_student_writes_what_nbgrader_writes_however_a_cell_is_marked(name, marked):
    folder, _ = marked
    released = nbformat.read(folder / "release" / "marked" / f"{name}.ipynb", as_version=4)
    ours = student.student_notebook(
        nbformat.read(folder / "source" / "marked" / f"{name}.ipynb", as_version=4))
    assert ours == released
    assert not [c.source for c in ours.cells if "42" in c.source]  # no answer, no hidden test


def test_digitlab_student_refuses_what_nbgrader_refuses(marked, tmp_path, capsys):
    from digitlab import cli

    folder, log = marked
    assert "Solution region detected in a non-solution cell" in log
    assert not (folder / "release" / "refused" / "in_a_string.ipynb").exists()
    assert cli.main(["student", str(folder / "source" / "refused"), str(tmp_path / "out")]) == 2
    assert "Solution region detected in a non-solution cell" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


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
STUDENTS = ("t-ada", "t-ben", "t-cy")  # ada answers every exercise, ben none, cy one wrongly
LATE = "t-dee"


def setup_class(folder: Path) -> str:
    """classroom/setup_class.py on `folder`, as root, with no terminal; what it printed."""
    done = subprocess.run(
        [sys.executable, str(CLASSROOM / "setup_class.py"), str(folder), "--teacher", TEACHER,
         "--group", GROUP, "--home-base", str(folder / "home"), "--host", "127.0.0.1",
         "--host", "localhost"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done.stdout


def enrolment_codes(folder: Path) -> dict[str, str]:
    lines = (folder / "hub" / "enrolment-codes.txt").read_text().splitlines()
    return dict(line.split() for line in lines if not line.startswith("#"))


def remove_test_users() -> None:
    """Remove the Unix users and group a test class left (a killed run's too)."""
    for name in (TEACHER, *STUDENTS, LATE):
        try:
            if pwd.getpwnam(name).pw_gecos != MARK:
                pytest.fail(f"{name} is a user of this machine that no test made: not touched")
        except KeyError:
            continue
        subprocess.run(["userdel", name], check=True)
    subprocess.run(["groupdel", GROUP], capture_output=True)


def grant_passage(paths: list[Path]) -> dict[Path, bool]:
    """Let the class's group pass through each folder above `paths` that others may not pass
    (`/root`, where this machine keeps its Python, say), as /opt is on a class server; the
    folders changed, each with whether it had an access list of its own before."""
    changed = {}
    for path in paths:
        for folder in [*reversed(path.parents), path]:
            if folder.is_dir() and not folder.stat().st_mode & 0o001 and folder not in changed:
                had = subprocess.run(["getfacl", "--skip-base", "--absolute-names", str(folder)],
                                     capture_output=True, text=True, check=True).stdout.strip()
                subprocess.run(["setfacl", "-m", f"g:{GROUP}:x", str(folder)], check=True)
                changed[folder] = bool(had)
    return changed


def take_back_passage(changed: dict[Path, bool]) -> None:
    for folder, had in changed.items():  # -b: back to plain modes, the mask entry gone too
        subprocess.run(["setfacl", "-x", f"g:{GROUP}", str(folder)] if had else
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
        remove_test_users()
        shutil.rmtree(folder)


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is the answer: urllib raises it as an HTTPError


class Browser:
    """A visitor's browser: cookies kept, redirects shown, the hub's certificate trusted."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=hub.tls), urllib.request.HTTPCookieProcessor(),
            _Stay())

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


def test_wrong_passwords_lock_the_name(hub):
    hub, _, _, codes = hub
    guesser = Browser(hub)
    for attempt in range(5):
        assert not guesser.logs_in("t-cy", f"guess number {attempt}")
    assert not guesser.logs_in("t-cy", codes["t-cy"])  # right, but locked for ten minutes
    assert not Browser(hub).logs_in("t-cy", codes["t-cy"])  # from anywhere


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


def test_a_class_works_each_as_their_own_user_and_is_graded(hub):
    hub, folder, _, _ = hub
    lesson = LESSONS[0]
    users = (TEACHER, *STUDENTS)
    for user in users:
        hub.api("POST", f"/hub/api/users/{user}/server")
    for user in users:
        hub.wait_for(lambda u=user: hub.api("GET", f"/hub/api/users/{u}")["servers"].get(
            "", {}).get("ready"), f"{user}'s server")
    services = {s["name"]: s for s in hub.api("GET", "/hub/api/services").values()}
    assert services["idle-culler"]["pid"] in hub.processes()  # the culler runs
    home = {user: Path(pwd.getpwnam(user).pw_dir) for user in users}

    async def the_teacher_releases():
        teacher = await Kernel.start(hub, TEACHER)
        await teacher.sh(sys.executable, str(CLASSROOM / "new_course.py"), "course")
        await teacher.sh("nbgrader", "generate_assignment", lesson.stem, cwd="~/course")
        await teacher.sh("nbgrader", "release_assignment", lesson.stem, cwd="~/course")
        return teacher

    async def a_student(user):
        """Fetch, run every cell, save, submit; the errors and the peak memory."""
        kernel = await Kernel.start(hub, user)
        await kernel.sh("nbgrader", "fetch_assignment", lesson.stem)
        fetched = home[user] / lesson.stem / lesson.name
        nb = {"t-ada": answered(fetched, lesson), "t-ben": nbformat.read(fetched, as_version=4),
              "t-cy": answered(fetched, lesson, wrong="nb00_ex2")}[user]
        errors = [e for c in nb.cells if c.cell_type == "code"
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
        ada = students[0][0]
        assert not (await ada.run(PRYING.format(folder=str(folder), lesson=lesson.stem)))[0]
        # ada submits her answers again, named as ben's, after ben's own
        await ada.sh("nbgrader", "submit", lesson.stem, "--CourseDirectory.student_id=t-ben")
        collected = await teacher.sh("nbgrader", "collect", lesson.stem, cwd="~/course")
        for step in ("autograde", "generate_feedback", "release_feedback"):
            await teacher.sh("nbgrader", step, lesson.stem, cwd="~/course")
        await students[2][0].sh("nbgrader", "fetch_feedback", lesson.stem)
        for kernel, *_ in students:
            await kernel.shut_down()
        await teacher.shut_down()
        return collected, [s[1:] for s in students]

    start = time.perf_counter()
    collected, results = asyncio.run(the_class())
    seconds = time.perf_counter() - start
    errors, memory = (dict(zip(STUDENTS, x, strict=True)) for x in zip(*results, strict=True))
    assert errors == {user: [] for user in STUDENTS}  # hints, never an error
    print(f"notebook 00, quick mode, three students at once, released, collected and graded: "
          f"{seconds:.0f} s; peak memory "
          + ", ".join(f"{u} {m:,.0f} MB" for u, m in memory.items()))
    assert all(300 < mb < 3 * 1024 for mb in memory.values())  # the config's 3G limit
    assert "submitted by t-ada, not by t-ben" in collected  # the forgery is named, not taken

    with Gradebook(f"sqlite:///{home[TEACHER] / 'course' / 'gradebook.db'}") as gradebook:
        scores = {user: {g.name: g.score for g in gradebook.find_submission_notebook(
            lesson.stem, lesson.stem, user).grades} for user in STUDENTS}
    assert scores == {"t-ada": {"nb00_ex1_test": 1, "nb00_ex2_test": 1, "nb00_ex3_test": 1},
                      "t-ben": {"nb00_ex1_test": 0, "nb00_ex2_test": 0, "nb00_ex3_test": 0},
                      "t-cy": {"nb00_ex1_test": 1, "nb00_ex2_test": 0, "nb00_ex3_test": 1}}
    feedback = list((home["t-cy"] / lesson.stem / "feedback").glob("*/*.html"))
    assert len(feedback) == 1 and "Not yet" in feedback[0].read_text()  # the hint reaches cy
    assert all(p.owner() == "t-cy" for p in home["t-cy"].rglob("*"))  # all her own


def test_a_late_student_is_added_while_the_hub_runs(hub):
    hub, folder, password, _ = hub
    with (folder / "class-list.txt").open("a") as f:
        f.write(f"{LATE}\n")
    printed = setup_class(folder)
    assert "password" not in printed  # the instructor's is shown once, the first time only
    codes = enrolment_codes(folder)
    assert set(codes) == {*STUDENTS, LATE}
    assert Browser(hub).logs_in(LATE, codes[LATE])
    assert Browser(hub).logs_in(TEACHER, password)  # and nothing else changed
