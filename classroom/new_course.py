"""`python classroom/new_course.py DIR`: an nbgrader course folder for digitlab in DIR.

It holds this folder's nbgrader_config.py and each lesson as an assignment of its own,
`DIR/source/00_start_here/00_start_here.ipynb` and so on. Then, in DIR, the nbgrader commands:
`nbgrader generate_assignment "*"` makes the student versions in `release/`. A folder that
already holds a course (a `source/` or an nbgrader_config.py) is left as it is.
"""

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LESSONS = sorted((HERE.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def new_course(folder: Path) -> list[Path]:
    """Write the config and one assignment per lesson into `folder`; return the sources."""
    taken = [p for p in (folder / "source", folder / "nbgrader_config.py") if p.exists()]
    if taken:
        raise FileExistsError(f"{taken[0]} exists: a course is set up there already")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "nbgrader_config.py", folder / "nbgrader_config.py")
    sources = []
    for lesson in LESSONS:
        assignment = folder / "source" / lesson.stem
        assignment.mkdir(parents=True)
        sources.append(Path(shutil.copy(lesson, assignment / lesson.name)))
    return sources


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        made = new_course(Path(sys.argv[1]))
    except FileExistsError as e:
        sys.exit(f"new_course: {e}")
    print(f"{len(made)} assignments in {Path(sys.argv[1]) / 'source'}")
