"""`python classroom/setup_class.py CLASS --teacher NAME --host NAME`: set up a class's server.

Run as root before the hub first starts, and again whenever the class list changes (it adds
what is new and changes nothing that exists, so the hub may keep running). In the class folder
CLASS (classroom/README.md has the whole order of steps) it makes:

- a Unix group for the class, and a Unix user, in it, for the instructor and each name in
  CLASS/class-list.txt: each student's server runs as that user, home 0700;
- CLASS itself 0750, root and the class group: no one else on the server gets in;
- CLASS/hub/, 0700, the hub's state and nothing else: its database (NativeAuthenticator's
  password hashes), cookie secret, TLS key and the enrolment codes, each 0600;
- the instructor's hub account, admin, with a password typed now or generated and shown once;
- for each student a hub account whose first password is an enrolment code, written to
  CLASS/hub/enrolment-codes.txt for the instructor to hand out (sign-up stays closed: a
  stranger can take no one's name);
- a TLS certificate for the hub, self-signed for the --host names (or --cert and --key, the
  instructor's own), its SHA-256 fingerprint printed for students to compare;
- CLASS/exchange/, nbgrader's exchange, with the course's folder in it owned by the instructor,
  so no student can make it first and read the others' submissions, and in its inbound folder
  one folder a student for her submissions, which she alone writes and only the instructor reads;
- CLASS/disks/, a file system for each student's home, each student's inbound folder and the
  exchange, so no one fills another's (or the server's) disk.
"""

from __future__ import annotations

import argparse
import getpass
import grp
import os
import pwd
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import authenticator
from host import SetupError, certificate, disk, private_folder, write_private

from digitlab.sandbox import GRADER_MARK

MARK = "digitlab class member"  # the comment of every Unix user this script made
NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")  # a safe Unix name that JupyterHub keeps as it is
SUDOERS = Path("/etc/sudoers.d/digitlab-grade")
COURSE_ID = "digitlab"  # nbgrader's course id, as classroom/nbgrader_config.py sets it
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing to misread on a paper slip


def class_list(path: Path) -> list[str]:
    """The students' usernames in `path`, one a line; each checked to be a safe Unix name."""
    names = path.read_text().split() if path.exists() else []
    bad = [n for n in names if not NAME.fullmatch(n)]
    if bad:
        raise SetupError(f"{path}: {', '.join(bad)}: a name is 1-32 lower-case letters, digits, "
                         "'-' or '_', starting with a letter")
    return sorted(set(names))


def check_names(names: list[str], teacher: str, group: str, grader: str) -> None:
    """Refuse, before anything is made, a name that is already a user or a group of this server
    that setup_class.py did not make (`nobody`, `root`, the instructor's own login account...),
    and a server that lacks what the autograde sandbox needs."""
    if not shutil.which("sudo") or not shutil.which("unshare") or not shutil.which("ip"):
        raise SetupError("the autograde sandbox needs sudo, unshare and ip: apt-get install "
                         "sudo util-linux iproute2")
    try:
        if pwd.getpwnam(grader).pw_gecos != GRADER_MARK:
            raise SetupError(f"--grader {grader} is a user that setup_class.py did not make")
    except KeyError:
        pass
    groups = {g.gr_name for g in grp.getgrall()}
    for name in [teacher, *names]:
        try:
            ours = pwd.getpwnam(name).pw_gecos == MARK
        except KeyError:
            ours = False
            if name in groups:
                raise SetupError(f"{name} is already a group of this server: rename the "
                                 f"{'instructor' if name == teacher else 'student'}") from None
            continue
        if not ours:
            fix = ("choose a new name for the instructor" if name == teacher
                   else "rename the student in the class list")
            raise SetupError(f"{name} is already a user of this server that setup_class.py did "
                             f"not make: {fix}")
    if group in {teacher, *names}:
        raise SetupError(f"--group {group}: the class's group cannot share a member's name")


def unix_user(name: str, group: str, home_base: Path) -> pwd.struct_passwd:
    """The class member `name`'s Unix user (check_names has vouched for it), made now if new."""
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--base-dir", str(home_base),
                        "--user-group", "--groups", group, "--shell", "/bin/bash",
                        "--comment", MARK, name], check=True)
        user = pwd.getpwnam(name)
        Path(user.pw_dir).chmod(0o700)  # students do not read each other's work
        return user
    if group not in {g.gr_name for g in grp.getgrall() if name in g.gr_mem}:
        subprocess.run(["usermod", "--append", "--groups", group, name], check=True)
    return user


def grading_user(name: str) -> None:
    """The autograde sandbox's user (check_names has vouched for it): no home, no login, no
    group of the class's; made now if new."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--user-group", "--comment",
                        GRADER_MARK, name], check=True)


def sandbox(folder: Path, teacher: str, grader: str, sudoers: Path) -> None:
    """CLASS/grade, the autograde sandbox's command, and the sudo rule that lets the instructor,
    and no one else, run it as root (it runs the notebook as `grader`: digitlab/sandbox.py)."""
    script = folder / "grade"
    script.unlink(missing_ok=True)
    write_private(script, f"#!/bin/sh\n# setup_class.py: nbgrader autograde runs this with sudo "
                          f"(digitlab/sandbox.py)\nexec {shlex.quote(sys.executable)} -I -m "
                          f"digitlab.sandbox {shlex.quote(str(folder))} {grader} \"$@\"\n")
    script.chmod(0o755)
    rule = sudoers.with_name(sudoers.name + ".new")
    rule.unlink(missing_ok=True)
    write_private(rule, f"# setup_class.py: the instructor runs the autograde sandbox\n"
                        f"{teacher} ALL=(root) NOPASSWD: {script}\n")
    rule.chmod(0o440)
    subprocess.run(["visudo", "-cqf", str(rule)], check=True, capture_output=True)
    rule.replace(sudoers)


def enrolment_code() -> str:
    """A code like `k7mq-9xpd-2hf4`: about 60 bits, easy to copy from a slip of paper."""
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))


def hub_accounts(db_url: str, teacher: str, teacher_password: str | None,
                 students: list[str]) -> dict[str, str]:
    """Add to the hub's database an account for the teacher and each student who has none;
    the first passwords given, by name."""
    import bcrypt
    from jupyterhub import orm
    from nativeauthenticator.orm import UserInfo  # registers its table with JupyterHub's

    db = orm.new_session_factory(db_url)()  # creates the tables on first use, as the hub would
    given = {}
    for name in [teacher, *students]:
        if UserInfo.find(db, name):
            continue
        password = teacher_password if name == teacher else enrolment_code()
        db.add(UserInfo(username=name, is_authorized=True,
                        password=bcrypt.hashpw(password.encode(), bcrypt.gensalt())))
        if not orm.User.find(db, name):  # listed in the admin page before the first login
            db.add(orm.User(name=name, admin=name == teacher))
        given[name] = password
    db.commit()
    db.close()
    return given


def exchange(folder: Path, teacher: pwd.struct_passwd) -> None:
    """nbgrader's exchange: the root root's (classroom/nbgrader_config.py lets nbgrader work
    with a root it cannot write, so no student makes folders there) and the course's folder made
    now, as the teacher's, with the modes nbgrader's release gives it, but for its inbound
    folder: students submit into folders of their own in it (digitlab.grading.own_inbound)."""
    folder.mkdir(exist_ok=True)
    os.chown(folder, 0, 0)
    folder.chmod(0o755)
    course = folder / COURSE_ID
    for path, mode in ((course, 0o755), (course / "outbound", 0o755),
                       (course / "inbound", 0o711), (course / "feedback", 0o711)):
        path.mkdir(exist_ok=True)
        os.chown(path, teacher.pw_uid, teacher.pw_gid)
        path.chmod(mode)


def setup(folder: Path, teacher: str, group: str, hosts: list[str], home_base: Path,
          teacher_password: str | None = None, cert: Path | None = None,
          key: Path | None = None, grader: str = "digitlab-grader",
          sudoers: Path = SUDOERS, code_days: float = 14, disk_size: str = "2G",
          exchange_size: str = "4G", inbound_size: str = "256M",
          fstab: Path = Path("/etc/fstab")) -> dict[str, str]:
    """Set up (or bring up to date) the class in `folder`; the new accounts' first passwords.
    The teacher's, if new, is `teacher_password` or, when that is None, generated. Everything
    is checked before anything is made. Each student's home, each student's inbound folder and
    the exchange get a file system of their own (`disk_size`, `inbound_size`, `exchange_size`),
    so no student can fill the server's disk or stop another's submission."""
    students = class_list(folder / "class-list.txt")
    if not NAME.fullmatch(teacher) or teacher in students:
        raise SetupError(f"--teacher {teacher}: a safe Unix name, not one on the class list")
    if not NAME.fullmatch(grader) or grader in (teacher, *students):
        raise SetupError(f"--grader {grader}: a safe Unix name, no class member's")
    if teacher_password is not None and not authenticator.strong(teacher_password):
        raise SetupError(f"the instructor's password: {authenticator.RULE}")
    if os.geteuid() != 0:
        raise SetupError("run me as root: I make Unix users and the hub's private folder")
    check_names(students, teacher, group, grader)
    try:
        grp.getgrnam(group)
    except KeyError:
        subprocess.run(["groupadd", group], check=True)
    home_base.mkdir(parents=True, exist_ok=True)
    members = {name: unix_user(name, group, home_base) for name in [teacher, *students]}
    grading_user(grader)
    private_folder(folder, 0o750)
    os.chown(folder, 0, grp.getgrnam(group).gr_gid)  # the class enters; nobody else does
    state = private_folder(folder / "hub")
    fingerprint = certificate(private_folder(state / "tls"), hosts, cert, key)
    if not (state / "cookie_secret").exists():
        write_private(state / "cookie_secret", secrets.token_hex(32))
    database = state / "jupyterhub.sqlite"
    if not database.exists():
        write_private(database, "")  # 0600 before the first hash goes in
    given = hub_accounts(f"sqlite:///{database}", teacher,
                         teacher_password or enrolment_code(), students)
    codes = state / "enrolment-codes.txt"
    if not codes.exists():
        write_private(codes, "# username  enrolment code (the first password; students change "
                             "it at /hub/change-password)\n")
    with codes.open("a") as f:
        f.writelines(f"{n}  {p}\n" for n, p in given.items() if n != teacher)
    expiry = time.time() + code_days * 86400
    authenticator.add_pending(state / "enrolment.json",
                              {n: expiry for n in given if n != teacher})
    disks = private_folder(folder / "disks")
    for name in students:
        user = members[name]
        disk(disks / f"{name}.img", Path(user.pw_dir), disk_size, (user.pw_uid, user.pw_gid),
             0o700, fstab)
    (folder / "exchange").mkdir(exist_ok=True)
    disk(disks / "exchange.img", folder / "exchange", exchange_size, (0, 0), 0o755, fstab)
    exchange(folder / "exchange", members[teacher])
    inbound = folder / "exchange" / COURSE_ID / "inbound"
    for name in students:  # the instructor's, writable by the student's own group (hers alone)
        (inbound / name).mkdir(exist_ok=True)
        disk(disks / f"{name}-inbound.img", inbound / name, inbound_size,
             (members[teacher].pw_uid, members[name].pw_gid), 0o730, fstab)
    sandbox(folder, teacher, grader, sudoers)
    given["fingerprint"] = fingerprint
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the class folder (e.g. /srv/digitlab)")
    parser.add_argument("--teacher", required=True, help="the instructor's username")
    parser.add_argument("--host", action="append", default=[],
                        help="a name or address students type to reach the server (repeat)")
    parser.add_argument("--cert", type=Path, help="your own TLS certificate (PEM)")
    parser.add_argument("--key", type=Path, help="its private key (PEM)")
    parser.add_argument("--group", default="digitlab", help="the class's Unix group")
    parser.add_argument("--home-base", type=Path, default=Path("/home"),
                        help="where the class members' home folders go")
    parser.add_argument("--grader", default="digitlab-grader",
                        help="the user autograde runs submissions as (made now: no home, no "
                             "login, not in the class's group)")
    parser.add_argument("--sudoers", type=Path, default=SUDOERS,
                        help="the sudo rule that lets the instructor run the sandbox")
    parser.add_argument("--disk-size", default="2G",
                        help="each student's home, a file system of its own (default 2G)")
    parser.add_argument("--exchange-size", default="4G",
                        help="nbgrader's exchange, a file system of its own (default 4G)")
    parser.add_argument("--inbound-size", default="256M",
                        help="each student's folder for submissions, a file system of its own "
                             "(default 256M)")
    parser.add_argument("--fstab", type=Path, default=Path("/etc/fstab"),
                        help="where the disks' mounts are kept for every boot")
    parser.add_argument("--code-days", type=float, default=14,
                        help="days an enrolment code works (only to choose a password)")
    args = parser.parse_args(argv)
    if bool(args.cert) != bool(args.key):
        parser.error("--cert and --key go together")
    password = None
    if sys.stdin.isatty() and not (args.folder / "hub" / "jupyterhub.sqlite").exists():
        password = getpass.getpass(f"A password for {args.teacher} (Enter: one made for you): ")
        if password and password != getpass.getpass("Again: "):
            parser.error("the two passwords differ")
    try:
        given = setup(args.folder.resolve(), args.teacher, args.group, args.host,
                      args.home_base, password or None, args.cert, args.key, args.grader,
                      args.sudoers, args.code_days, args.disk_size, args.exchange_size,
                      inbound_size=args.inbound_size, fstab=args.fstab)
    except (SetupError, OSError, subprocess.CalledProcessError) as e:
        print(f"setup_class: {e}", file=sys.stderr)
        return 2
    print(f"TLS certificate's SHA-256 fingerprint (students compare it with their browser's):"
          f"\n  {given.pop('fingerprint')}")
    if args.teacher in given and not password:
        print(f"{args.teacher}'s password, shown this once: {given[args.teacher]}")
    new = [n for n in given if n != args.teacher]
    print(f"{len(new)} new student account(s); their enrolment codes are in "
          f"{args.folder / 'hub' / 'enrolment-codes.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
