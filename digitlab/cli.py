"""The `digitlab` command: `digitlab data`, `digitlab doctor`."""

from __future__ import annotations

import argparse
import sys


def cmd_data(args: argparse.Namespace) -> int:
    from digitlab.data import find_mnist, load_mnist

    source = find_mnist(args.path, download=not args.no_download)
    (x_train, _), (x_test, _) = load_mnist(source)
    print(f"MNIST verified (SHA-256): {len(x_train):,} training and {len(x_test):,} test images")
    print(source)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from digitlab.doctor import report

    return 1 if report() else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="digitlab", description="Helpers for the digitlab course.")
    sub = p.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="locate, download if needed, verify and show MNIST")
    data.add_argument("--path", help="a folder with the four IDX files, or mnist.npz")
    data.add_argument("--no-download", action="store_true", help="fail rather than download")
    data.set_defaults(run=cmd_data)
    doctor = sub.add_parser("doctor", help="check Python, packages, devices, data and widgets")
    doctor.set_defaults(run=cmd_doctor)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `digitlab` command; returns the exit status."""
    from digitlab.data import DataError

    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except DataError as e:
        print(f"digitlab: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("digitlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
