"""The `digitlab` command: `data`, `doctor`, `predict` and `student`."""

from __future__ import annotations

import argparse
import os
import sys

from digitlab.config import READER


def cmd_data(args: argparse.Namespace) -> int:
    from digitlab.data import DATA_ENV, export_mnist, find_mnist, load_mnist

    source = find_mnist(args.path, download=not args.no_download)
    if args.export:
        folder = export_mnist(args.export, source)
        print(f"MNIST verified (SHA-256) and copied to {folder}")
        print(f"Students use it with: export {DATA_ENV}={folder.resolve()}")
        return 0
    (x_train, _), (x_test, _) = load_mnist(source)
    print(f"MNIST verified (SHA-256): {len(x_train):,} training and {len(x_test):,} test images")
    print(source)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from digitlab import start_tensorflow
    from digitlab.doctor import report

    try:
        start_tensorflow()
    except ImportError:
        pass  # the doctor's own check says what is wrong with TensorFlow

    return 1 if report() else 0


def cmd_predict(args: argparse.Namespace) -> int:
    import json

    from digitlab import pretrained, start_tensorflow

    try:
        if args.model is None:  # the shipped networks, run by LiteRT: no TensorFlow to start
            model = pretrained.reader()
        else:
            start_tensorflow()
            model = pretrained.load(args.model)
    except (FileNotFoundError, ValueError, OSError) as e:
        print(f"digitlab: cannot load the model: {e}", file=sys.stderr)
        return 2
    except (ImportError, MemoryError) as e:  # not installed, or its libraries not mapped
        first = (str(e).splitlines() or [type(e).__name__])[0]
        runtime = "LiteRT (ai-edge-litert)" if args.model is None else "TensorFlow"
        print(f"digitlab: {runtime} could not be loaded ({first}). Check it is installed "
              "(`digitlab doctor`); under a memory limit (`ulimit -v`) it needs more address "
              "space than that: raise the limit, or run where none is set.", file=sys.stderr)
        return 2
    failed = 0
    for path, (record, line, note) in zip(args.images, _read_all(model, args), strict=True):
        failed += note is not None
        if note:
            print(f"digitlab: {note}", file=sys.stderr, flush=True)
        if record is not None or args.json:  # one line per file on stdout, whatever happened
            print(json.dumps(record or {"file": path, "error": note}) if args.json else line,
                  flush=True)
    return 1 if failed else 0


# Reading is shared among worker processes when a folder's worth of pictures is given, each
# worker taking this many at a time; below twice this many, one process reads them all.
CHUNK = 16


def _read_all(model, args: argparse.Namespace):
    """Each picture's (record, line, note) in order: read here, or, for many pictures and the
    shipped networks, by `args.jobs` worker processes (each loads its own reader)."""
    jobs = min(args.jobs, len(args.images) // CHUNK)
    if jobs < 2 or args.model is not None:  # a worker would start TensorFlow: seconds each
        yield from (_read(model, path, args.number, args.min_confidence) for path in args.images)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    read = partial(_read, None, number=args.number, min_confidence=args.min_confidence)
    # spawn, not fork: the reader's runtime has threads, which fork does not copy safely
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(read, args.images, chunksize=CHUNK)


def _read(model, path: str, number: bool, min_confidence: float | None):
    """One picture as (its JSON record, its output line, a note for stderr or None), or
    (None, None, the error) when it could not be read; `model` None: the shipped reader."""
    from digitlab import pretrained
    from digitlab.pictures import ImageError
    from digitlab.preprocess import NoDigitFound

    try:
        if model is None:
            model = pretrained.reader()
        if number:
            return _read_number(model, path, min_confidence)
        return _read_digit(model, path, READER.min_confidence if min_confidence is None
                           else min_confidence)
    except Exception as e:  # noqa: BLE001  one picture's fault never stops the batch
        said = str(e) if isinstance(e, (ImageError, NoDigitFound)) else (
            f"could not be read ({type(e).__name__}: {e}); please report it with the file")
        return None, None, said if said.startswith(f"{path}:") else f"{path}: {said}"


def _read_digit(model, path: str, min_confidence: float) -> tuple[dict, str, str | None]:
    """One digit: its JSON record, its line, and a note if it was not read surely enough: "?"
    below `min_confidence` (notebook 06's "I don't know")."""
    from digitlab import predict

    digit = predict.predict(model, path)
    answer = str(digit.digit) if digit.confidence >= min_confidence else "?"
    note = None if answer != "?" else (f"{path}: not sure enough ({digit.confidence:.1%}, "
                                       f"below {min_confidence:.0%}): answered ?")
    return ({"file": path, **_as_dict(digit), "answer": answer},
            f"{_field(path)}\t{answer}\t{digit.confidence:.1%}", note)


def _read_number(model, path: str, min_confidence: float | None
                 ) -> tuple[dict, str, str | None]:
    """A whole number: its JSON record (each character's box and confidence), its line, and a
    note if some digit was not read surely enough."""
    from digitlab import number

    sure = READER.min_confidence if min_confidence is None else min_confidence
    reading = number.read(model, path, min_confidence=sure)
    notes = []
    if "?" in reading.text:
        notes.append(f"{reading.text.count('?')} of its digits not read surely enough (below "
                     f"{sure:.0%}): answered ?")
    if reading.left_out:
        notes.append(f"{len(reading.left_out)} piece(s) of ink on its line that may be digits, "
                     f"too far from the rest or too small to be read as part of the number, not "
                     f"read (at {', '.join(f'x={box[0]}' for box in reading.left_out)}): crop "
                     "the picture to one number, or write its digits closer together and of "
                     "one size")
    note = f"{path}: {'; '.join(notes)}" if notes else None
    glyphs = [{"char": g.char, "box": list(g.box), "confidence": round(g.confidence, 6),
               **({"digit": int(g.probabilities.argmax())} if g.probabilities is not None
                  else {})} for g in reading.glyphs]
    record = {"file": path, "number": reading.text, "complete": reading.complete,
              "confidence": round(reading.confidence, 6), "glyphs": glyphs,
              "left_out": [list(box) for box in reading.left_out]}
    each = " ".join(f"{g.char}:{g.confidence:.1%}" for g in reading.glyphs)
    return (record, f"{_field(path)}\t{reading.text}\t{reading.confidence:.1%}\t{each}", note)


def _field(path: str) -> str:
    """A file name as one field of a tab-separated line: a tab, newline or backslash in it
    written as `\\t`, `\\n`, `\\\\`, so each line stays one record (JSON keeps the name whole)."""
    return path.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace(
        "\r", "\\r")


def cmd_student(args: argparse.Namespace) -> int:
    from digitlab.student import skipped, write_student_versions

    for path in skipped(args.src):
        print(f"digitlab: skipped {path}: not a regular notebook file", file=sys.stderr)
    try:
        written = write_student_versions(args.src, args.out, force=args.force,
                                         add_new=args.add_new)
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"digitlab: {e}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


def _share(text: str) -> float:
    """A command-line share from 0 to 1."""
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _count(text: str) -> int:
    """A command-line count of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of at least 1")
    return int(text)


def _as_dict(prediction) -> dict:
    return {"digit": prediction.digit, "confidence": round(prediction.confidence, 6),
            "probabilities": [round(float(p), 6) for p in prediction.probabilities]}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="digitlab", description="Helpers for the digitlab course.")
    sub = p.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="locate, download if needed, verify and show MNIST")
    data.add_argument("--path", help="a folder with the four IDX files, or mnist.npz")
    data.add_argument("--no-download", action="store_true", help="fail rather than download")
    data.add_argument("--export", metavar="DIR", help="copy verified MNIST into DIR, for a "
                      "classroom without internet (then set DIGITLAB_DATA=DIR)")
    data.set_defaults(run=cmd_data)
    doctor = sub.add_parser("doctor", help="check Python, packages, devices, data and widgets")
    doctor.set_defaults(run=cmd_doctor)
    predict = sub.add_parser("predict", help="read handwritten digits in image files")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--json", action="store_true",
                         help="one JSON object per line, with all ten probabilities")
    predict.add_argument("--number", action="store_true",
                         help="each image holds a handwritten number (digits, a decimal point, "
                         "a minus sign): read it whole, with each character's box")
    predict.add_argument("--model", help="a .keras model, read with TensorFlow (default: the "
                         "networks digitlab ships, read with LiteRT)")
    predict.add_argument("--jobs", "-j", type=_count, default=min(4, os.cpu_count() or 1),
                         metavar="N", help="processes that share a long list of pictures "
                         "(default: this machine's CPUs, at most 4)")
    predict.add_argument("--min-confidence", type=_share, default=None, metavar="P",
                         help="answer ? for a digit read with less confidence than P (0 to 1; "
                         f"default {READER.min_confidence}, chosen on validation digits); such a "
                         "file counts as not read")
    predict.set_defaults(run=cmd_predict)
    student = sub.add_parser("student", help="write student versions of notebooks: solutions "
                             "replaced by a skeleton, outputs cleared")
    student.add_argument("src", metavar="SRC", help="folder of source notebooks")
    student.add_argument("out", metavar="OUT", help="folder for the student versions")
    given = student.add_mutually_exclusive_group()
    given.add_argument("--force", action="store_true",
                       help="replace student versions already in OUT")
    given.add_argument("--add-new", action="store_true",
                       help="write only the versions OUT lacks (new lessons); keep the rest")
    student.set_defaults(run=cmd_student)
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
    except OSError as e:  # a write that failed (a full disk, say): nothing of it was left
        print(f"digitlab: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("digitlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
