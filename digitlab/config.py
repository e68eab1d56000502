"""The course's settings: quick mode, one switch that shrinks every lesson to a smoke test,
and how sure the reader must be of a digit.

Set DIGITLAB_QUICK=1 (the test suite does) and every training helper and notebook uses small
subsets and few steps, so the whole series runs in minutes. Unset, you get the full lesson.
"""

import os

QUICK_ENV = "DIGITLAB_QUICK"
# Below this confidence a digit reads "?", alone (`digitlab predict`) or in a number
# (`number.read`): chosen on validation digits (docs/measurements.md, whole numbers).
MIN_CONFIDENCE = 0.7


def is_quick() -> bool:
    """Whether quick mode is on (DIGITLAB_QUICK set to anything but '', '0', 'false' or 'no')."""
    return os.environ.get(QUICK_ENV, "").strip().lower() not in ("", "0", "false", "no")


def pick(full, quick):
    """`full` in the full lesson, `quick` in quick mode: `epochs = pick(full=10, quick=1)`."""
    return quick if is_quick() else full


QUICK_BANNER = (
    "**Quick mode is on** (`DIGITLAB_QUICK` is set): every training run below is cut short, so "
    "its accuracies and timings are a smoke test, not the lesson's; a figure quoted in the "
    "text is the full lesson's. For the full lesson, unset `DIGITLAB_QUICK` and restart the "
    "kernel.")


def show_mode() -> None:
    """In quick mode, a banner saying so at the top of a notebook; in the full lesson, nothing."""
    if not is_quick():
        return
    from IPython.display import Markdown, display

    display(Markdown(f"> ⚠️ {QUICK_BANNER}"))
