"""`python classroom/z2jh/accounts.py CLASS_LIST --teacher NAME OUT`: a Kubernetes class's accounts.

Writes, in the folder OUT (0700), `accounts` (a `name bcrypt-hash` line for the instructor and
each student: the Secret digitlab-accounts that config.yaml's hub reads) and
`enrolment-codes.txt` (each student's first password, for the instructor to hand out), both
0600. Run again after adding names to the class list: existing accounts are kept as they are.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from setup_class import NAME, SetupError, class_list, enrolment_code, write_private  # noqa: E402


def add_accounts(students: list[str], teacher: str, out: Path) -> dict[str, str]:
    """Add an account line to `out`/accounts for each name it lacks; the new first passwords."""
    import bcrypt

    if not NAME.fullmatch(teacher) or teacher in students:
        raise SetupError(f"--teacher {teacher}: a safe name, not one on the class list")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    accounts = out / "accounts"
    lines = accounts.read_text().splitlines() if accounts.exists() else []
    known = {line.split()[0] for line in lines}
    given = {name: enrolment_code() for name in [teacher, *students] if name not in known}
    lines += [f"{n} {bcrypt.hashpw(p.encode(), bcrypt.gensalt()).decode()}"
              for n, p in given.items()]
    accounts.unlink(missing_ok=True)
    write_private(accounts, "".join(f"{line}\n" for line in lines))
    codes = out / "enrolment-codes.txt"
    old = codes.read_text() if codes.exists() else "# username  enrolment code\n"
    codes.unlink(missing_ok=True)
    write_private(codes, old + "".join(f"{n}  {p}\n" for n, p in given.items() if n != teacher))
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("class_list", type=Path, help="the students' usernames, one a line")
    parser.add_argument("--teacher", required=True, help="the instructor's username")
    parser.add_argument("out", type=Path, help="the folder for the two files")
    args = parser.parse_args(argv)
    try:
        given = add_accounts(class_list(args.class_list), args.teacher, args.out)
    except (SetupError, OSError) as e:
        print(f"accounts: {e}", file=sys.stderr)
        return 2
    if args.teacher in given:
        print(f"{args.teacher}'s password, shown this once: {given.pop(args.teacher)}")
    print(f"{len(given)} new student account(s); codes in {args.out / 'enrolment-codes.txt'}; "
          f"then: kubectl create secret generic digitlab-accounts "
          f"--from-file=accounts={args.out / 'accounts'} --dry-run=client -o yaml "
          "| kubectl apply -f -")
    return 0


if __name__ == "__main__":
    sys.exit(main())
