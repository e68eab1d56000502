"""The class hub's logins: NativeAuthenticator, hardened against an outsider (jupyterhub_config.py
uses it; classroom/README.md says what it stops).

- Failed logins lock a name *from one address* (five in ten minutes), and an address that fails
  on many names is locked as a whole; so an outsider cannot lock a student out, and a student
  locked out by her own typing can still log in from another address after ten minutes.
- An unknown name costs as long as a known one (a bcrypt check against a stand-in hash), so
  names cannot be listed by timing; every hash runs in a worker thread, so the hub's event loop
  (and `/hub/health`) stays fast while logins are attacked.
- Wrong current passwords at /hub/change-password count as failed logins.
- An enrolment code works until its expiry (setup_class.py writes it to hub/enrolment.json), and
  only to choose a password: until she has, a student's server does not start.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bcrypt
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import ChangePasswordHandler
from tornado import web
from traitlets import Integer, Unicode

MINIMUM_LENGTH = 10
RULE = f"{MINIMUM_LENGTH} characters or more, and not a common password"
# One hashing thread per two cores: logins queue under attack, pages do not.
_HASHING = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2),
                              thread_name_prefix="bcrypt")


def strong(password: str) -> bool:
    """Whether `password` follows the class's rule (RULE), for students and instructor alike."""
    return len(password) >= MINIMUM_LENGTH and password not in _common()


@functools.cache
def _common() -> set[str]:
    import nativeauthenticator

    return set((Path(nativeauthenticator.__file__).parent / "common-credentials.txt")
               .read_text().splitlines())


def add_pending(path: Path, expiries: dict[str, float]) -> None:
    """Record in `path` (root's, 0600) the names whose password is now an enrolment code."""
    _write_private(path, {**(json.loads(path.read_text()) if path.exists() else {}), **expiries})


def _write_private(path: Path, pending: dict) -> None:
    temporary = path.with_name(path.name + ".new")
    temporary.unlink(missing_ok=True)
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        json.dump(pending, f)
    temporary.replace(path)


class ClassAuthenticator(NativeAuthenticator):
    """NativeAuthenticator with lock-out per name and address, constant-time unknown names,
    hashing off the event loop, and enrolment codes that expire and must be replaced."""

    failures_per_address = Integer(20, help="Failed logins, any names, that lock an address "
                                            "for `seconds_before_next_try`.").tag(config=True)
    enrolment_file = Unicode("", help="setup_class.py's enrolment.json: each name whose "
                                      "password is still its code, with the code's expiry"
                             ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.failures: dict = {}  # a (name, address) or an address: (count, time of the last)
        self.stand_in = bcrypt.hashpw(os.urandom(16).hex().encode(), bcrypt.gensalt())

    def _locked(self, key, limit: int) -> bool:
        count, last = self.failures.get(key, (0, 0.0))
        if time.monotonic() - last > self.seconds_before_next_try:
            self.failures.pop(key, None)
            return False
        return count >= limit

    def _failed(self, name: str, address: str) -> None:
        for key in ((name, address), address):
            self.failures[key] = (self.failures.get(key, (0, 0.0))[0] + 1, time.monotonic())

    async def check_password(self, name: str, password: str, address: str) -> bool:
        """Whether `password` is `name`'s, counting a wrong one against name and address; the
        same work whether or not the name exists, and none of it on the event loop."""
        locked = (self._locked((name, address), self.allowed_failed_logins)
                  or self._locked(address, self.failures_per_address))
        user = self.get_user(name)
        stored = user.password if user is not None and user.is_authorized else self.stand_in
        right = await asyncio.get_running_loop().run_in_executor(
            _HASHING, bcrypt.checkpw, password.encode(), stored)
        if locked or not right or stored is self.stand_in:
            self._failed(name, address)
            return False
        self.failures.pop((name, address), None)
        return True

    def is_password_strong(self, password: str) -> bool:
        return strong(password)  # one rule, setup_class.py's for the instructor too

    async def authenticate(self, handler, data):
        name = self.normalize_username(data["username"])
        if await self.check_password(name, data["password"], handler.request.remote_ip):
            if self.pending().get(name, float("inf")) < time.time():
                self.log.warning("%s's enrolment code has expired", name)
                return None
            return name
        return None

    def pending(self) -> dict[str, float]:
        """The names whose password is still their enrolment code, with its expiry (epoch s)."""
        path = Path(self.enrolment_file)
        return json.loads(path.read_text()) if self.enrolment_file and path.exists() else {}

    def enrolled(self, name: str) -> None:
        """`name` has chosen a password: the enrolment code is spent, and leaves the codes file."""
        path, pending = Path(self.enrolment_file), self.pending()
        if name in pending:
            _write_private(path, {n: t for n, t in pending.items() if n != name})
            codes = path.with_name("enrolment-codes.txt")
            if codes.exists():
                kept = [line for line in codes.read_text().splitlines(keepends=True)
                        if line.split()[:1] != [name]]
                codes.write_text("".join(kept))

    async def set_password(self, name: str, new_password: str) -> bool:
        """Store a new password for `name` if it is strong enough (hashed off the event loop)."""
        user = self.get_user(name)
        if user is None or not self.is_password_strong(new_password):
            return False
        user.password = await asyncio.get_running_loop().run_in_executor(
            _HASHING, bcrypt.hashpw, new_password.encode(), bcrypt.gensalt())
        self.db.commit()
        self.enrolled(name)
        return True

    def get_handlers(self, app):
        return [(path, ClassChangePasswordHandler if path == r"/change-password" else handler)
                for path, handler in super().get_handlers(app)]


class ClassChangePasswordHandler(ChangePasswordHandler):
    """/hub/change-password, where a wrong current password counts as a failed login."""

    @web.authenticated
    async def post(self):
        user = await self.get_current_user()
        old = self.get_body_argument("old_password", strip=False)
        new = self.get_body_argument("new_password", strip=False)
        auth = self.authenticator
        if not await auth.check_password(user.name, old, self.request.remote_ip):
            message = "Your current password was incorrect (after five tries: wait ten minutes)."
        elif new != self.get_body_argument("new_password_confirmation", strip=False):
            message = "Your new password didn't match the confirmation. Please try again."
        elif not await auth.set_password(user.name, new):
            message = f"Your new password must be {RULE}."
        else:
            message = None
        self.finish(await self.render_template(
            "change-password.html", user_name=user.name, alert="alert-danger" if message
            else "alert-success", result_message=message
            or "Your password has been changed successfully!"))


def must_choose_password(spawner) -> None:
    """pre_spawn_hook: a student still on her enrolment code chooses a password first."""
    if spawner.user.name in spawner.authenticator.pending():
        message = ("Choose your own password first, at /hub/change-password: your enrolment "
                   "code only lets you do that.")
        refused = web.HTTPError(403, message)
        refused.jupyterhub_message = message  # what the hub's spawn page shows the student
        raise refused
