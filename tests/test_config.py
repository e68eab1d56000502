"""Quick mode is one switch; TensorFlow starts quietly only when asked."""

import subprocess
import sys

import pytest

from digitlab import is_quick, pick
from digitlab.lessons import start_lesson


@pytest.mark.parametrize(("value", "quick"), [("1", True), ("yes", True), ("", False),
                                              ("0", False), ("False", False), ("no", False)])
def test_quick_switch(monkeypatch, value, quick):
    monkeypatch.setenv("DIGITLAB_QUICK", value)
    assert is_quick() is quick
    assert pick(full=10, quick=1) == (1 if quick else 10)


def test_full_lesson_by_default(monkeypatch):
    monkeypatch.delenv("DIGITLAB_QUICK", raising=False)
    assert not is_quick()


def test_quick_mode_shows_a_banner_and_the_full_lesson_none(monkeypatch):
    shown = []
    monkeypatch.setattr("digitlab.lessons.start_tensorflow", lambda: None)
    monkeypatch.setattr("IPython.display.display", shown.append)
    monkeypatch.setenv("DIGITLAB_QUICK", "1")
    start_lesson()
    assert len(shown) == 1 and "Quick mode is on" in shown[0].data
    assert "restart the kernel" in shown[0].data
    monkeypatch.setenv("DIGITLAB_QUICK", "0")
    start_lesson()
    assert len(shown) == 1


def test_doctor_says_whether_quick_mode_is_on(monkeypatch):
    from digitlab import doctor

    monkeypatch.setenv("DIGITLAB_QUICK", "1")
    assert "quick mode is ON" in doctor.check_mode()[1]
    monkeypatch.delenv("DIGITLAB_QUICK")
    assert doctor.check_mode() == (True, "quick mode is off: the full lessons")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PATH": ""})


def test_importing_digitlab_changes_nothing_until_asked():
    """No environment variable set, no output hidden: TensorFlow loads as it is."""
    done = _python("import os, sys, digitlab; assert 'tensorflow' not in sys.modules\n"
                   "from digitlab import models\n"
                   "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'), "
                   "os.environ.get('TF_CPP_MIN_LOG_LEVEL'), os.dup(2) > 2)")
    assert done.returncode == 0 and done.stdout.split() == ["None", "None", "True"]


def test_start_tensorflow_is_quiet_and_turns_onednn_on():
    done = _python("import os, digitlab; digitlab.start_tensorflow()\n"
                   "from digitlab import tf, keras\n"
                   "print(tf.__version__, os.environ['TF_ENABLE_ONEDNN_OPTS'])")
    assert done.returncode == 0 and done.stdout.split()[1] == "1"
    assert done.stdout.split()[0].startswith("2.")
    assert done.stderr == ""  # no oneDNN / CUDA / CPU-feature chatter


def test_a_failure_while_held_still_shows_what_the_library_said():
    done = _python("import os\nfrom digitlab.quiet import stderr_held\n"
                   "with stderr_held():\n    os.write(2, b'held back\\n')\n"
                   "with stderr_held():\n    os.write(2, b'the reason it failed\\n')\n"
                   "    raise ImportError('cannot load')")
    assert "held back" not in done.stderr
    assert done.stderr.index("the reason it failed") < done.stderr.index("ImportError")
