"""The classroom kit as an instructor runs it. `classroom/new_course.py` makes the course
folder and `nbgrader generate_assignment` the student versions (the same as `digitlab student`
makes). Then a whole class on classroom/jupyterhub_config.py: three students on a real hub and
proxy run notebook 00 at once, fetch and submit it through nbgrader's exchange, and the
instructor collects, autogrades and writes feedback: the solutions score full marks, an untouched
notebook zero, one wrong answer its point off."""

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import REAL_DATA, needs_real_mnist, require
from digitlab import student
from tools import browser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "classroom"))
from new_course import LESSONS, new_course  # noqa: E402


def nbgrader(course: Path, *args: str, env: dict | None = None) -> str:
    """Run an nbgrader command in the course folder, as an instructor would; its log."""
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls `alembic` from its environment
    env = {**(env or os.environ), "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


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
        ours = student.student_notebook(nbformat.read(lesson, as_version=4))

        def cells(nb):  # nbgrader adds checksums and cell state to its own metadata
            return [(c.cell_type, c.source, {k: v for k, v in c.metadata.items()
                                             if k != "nbgrader"}) for c in nb.cells]

        assert cells(released) == cells(ours), lesson.name
        assert "HIDDEN TESTS" not in nbformat.writes(released)


class Hub:
    """JupyterHub on classroom/jupyterhub_config.py, run from a class folder of its own; its REST
    API with a token of a test service (admin of users and servers)."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.token = folder, browser.free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        config = folder / "test_hub_config.py"
        home = folder / "home" / "{username}"
        config.write_text(f"""
c = get_config()
load_subconfig({str(Path(__file__).parent.parent / "classroom" / "jupyterhub_config.py")!r})
# No systemd on a test machine: every server runs as this user, so memory limits go unenforced
# (the test measures memory instead).
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(home)!r}
c.Spawner.cmd = [{str(Path(sys.executable).parent / "jupyterhub-singleuser")!r}]
c.Spawner.args = ["--allow-root"]  # test machines often run as root; systemd's users never do
c.Spawner.environment["DIGITLAB_QUICK"] = "1"
c.JupyterHub.ip, c.JupyterHub.port = "127.0.0.1", {self.port}
c.JupyterHub.hub_port = {browser.free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{browser.free_port()}"
c.JupyterHub.services.append({{"name": "class-test", "api_token": {self.token!r}}})
c.JupyterHub.load_roles.append({{"name": "class-test", "services": ["class-test"],
    "scopes": ["admin:users", "admin:servers", "access:servers", "list:services",
               "read:services"]}})
""")
        env = {**os.environ, "DIGITLAB_CLASS": str(folder), "DIGITLAB_TEACHER": "teacher",
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        self.log = open(folder / "hub.log", "w")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)], cwd=folder,
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
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
            with urllib.request.urlopen(request, timeout=30) as answer:
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
                raise RuntimeError(f"the hub stopped: {(self.folder / 'hub.log').read_text()}")
            answer = ready()
            if answer:
                return answer
            time.sleep(0.5)
        raise TimeoutError(f"waiting for {what}: {(self.folder / 'hub.log').read_text()[-3000:]}")

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


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is the answer: urllib raises it as an HTTPError


def signs_up_and_gets_in(hub: Hub, name: str, password: str) -> bool:
    """A student signs up on the hub's sign-up page, then logs in: whether the hub lets them in
    (it redirects a good login onwards, and shows the login page again otherwise)."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _Stay())

    def post_form(path: str, fields: dict) -> int:
        page = browser.open(hub.url + path).read().decode()
        fields["_xsrf"] = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
        try:
            return browser.open(hub.url + path, urllib.parse.urlencode(fields).encode()).status
        except urllib.error.HTTPError as answer:
            return answer.code

    assert post_form("/hub/signup", {"username": name, "signup_password": password,
                                     "signup_password_confirmation": password}) == 200
    return post_form("/hub/login", {"username": name, "password": password}) == 302


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
            f"ws://127.0.0.1:{hub.port}{self.path}/channels",
            headers={"Authorization": f"token {hub.token}"}))
        return self

    async def run(self, source: str) -> list[str]:
        """Execute one cell; the errors it raised, as "Name: message"."""
        msg_id, errors = uuid.uuid4().hex, []
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
            replied |= kind == "execute_reply"
            idle |= kind == "status" and message["content"]["execution_state"] == "idle"
        return errors

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


STUDENTS = ("ada", "ben", "cy")  # ada answers every exercise, ben none, cy one wrongly


@needs_real_mnist
def test_a_class_on_one_hub_runs_a_notebook_at_once_and_is_graded_with_nbgrader(tmp_path, course):
    require(shutil.which("configurable-http-proxy") is not None,
            "configurable-http-proxy (JupyterHub's proxy): npm install -g configurable-http-proxy")
    folder = tmp_path / "class"
    (folder / "exchange").mkdir(parents=True)
    (folder / "exchange").chmod(0o777 | 0o1000)  # every student writes, none removes another's
    (folder / "mnist").symlink_to(Path(REAL_DATA).resolve())
    (folder / "class-list.txt").write_text("dee\n")  # the rest join late, added by the teacher
    lesson = LESSONS[0]  # generated with the others by the `course` fixture
    instructor = {**os.environ, "NBGRADER_EXCHANGE": str(folder / "exchange")}
    nbgrader(course, "release_assignment", lesson.stem, env=instructor)

    hub = Hub(folder)
    try:
        services = {s["name"]: s for s in hub.api("GET", "/hub/api/services").values()}
        assert services["idle-culler"]["pid"] in hub.processes()  # the culler runs
        assert {u["name"] for u in hub.api("GET", "/hub/api/users")} == {"dee", "teacher"}
        assert signs_up_and_gets_in(hub, "dee", "a long passphrase")  # on the class list
        assert not signs_up_and_gets_in(hub, "eve", "a long passphrase")  # waits for approval
        assert hub.api("POST", "/hub/api/users", {"usernames": list(STUDENTS)})
        for user in STUDENTS:
            hub.api("POST", f"/hub/api/users/{user}/server")
        for user in STUDENTS:
            hub.wait_for(lambda u=user: hub.api("GET", f"/hub/api/users/{u}")["servers"].get(
                "", {}).get("ready"), f"{user}'s server")

        async def a_student(user):
            """Fetch, run every cell, save, submit; the errors and the peak memory."""
            kernel = await Kernel.start(hub, user)
            assert not await kernel.run(f"!nbgrader fetch_assignment {lesson.stem}")
            fetched = folder / "home" / user / lesson.stem / lesson.name
            nb = {"ada": answered(fetched, lesson), "ben": nbformat.read(fetched, as_version=4),
                  "cy": answered(fetched, lesson, wrong="nb00_ex2")}[user]
            errors = [e for c in nb.cells if c.cell_type == "code" for e in await kernel.run(
                c.source)]
            memory = peak_memory_mb(hub, user)  # the server and the kernel, still running
            await asyncio.to_thread(hub.api, "PUT", f"/user/{user}/api/contents/{lesson.stem}/"
                                    f"{lesson.name}", {"type": "notebook", "content": nb})
            assert not await kernel.run(f"!nbgrader submit {lesson.stem}")
            await kernel.shut_down()
            return errors, memory

        async def the_class():
            return await asyncio.gather(*(a_student(user) for user in STUDENTS))

        start = time.perf_counter()
        errors, memory = (dict(zip(STUDENTS, x, strict=True))
                          for x in zip(*asyncio.run(the_class()), strict=True))
        seconds = time.perf_counter() - start
        assert errors == {user: [] for user in STUDENTS}  # hints, never an error
        print(f"notebook 00, quick mode, three students at once: {seconds:.0f} s; peak memory "
              + ", ".join(f"{u} {m:,.0f} MB" for u, m in memory.items()))
        assert all(300 < mb < 3 * 1024 for mb in memory.values())  # the config's 3G limit
    finally:
        left = hub.stop()
    assert not left  # the hub stopped every server, kernel, service and the proxy

    nbgrader(course, "collect", lesson.stem, env=instructor)
    nbgrader(course, "autograde", lesson.stem, env=instructor)
    nbgrader(course, "generate_feedback", lesson.stem, env=instructor)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {user: {g.name: g.score for g in gradebook.find_submission_notebook(
            lesson.stem, lesson.stem, user).grades} for user in STUDENTS}
    assert scores == {"ada": {"nb00_ex1_test": 1, "nb00_ex2_test": 1, "nb00_ex3_test": 1},
                      "ben": {"nb00_ex1_test": 0, "nb00_ex2_test": 0, "nb00_ex3_test": 0},
                      "cy": {"nb00_ex1_test": 1, "nb00_ex2_test": 0, "nb00_ex3_test": 1}}
    feedback = (course / "feedback" / "cy" / lesson.stem / f"{lesson.stem}.html").read_text()
    assert "Not yet" in feedback  # the friendly check's hint reaches the student's feedback
