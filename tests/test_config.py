"""Quick mode is one switch."""

import pytest

from digitlab import is_quick, pick, show_mode


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
    monkeypatch.setattr("IPython.display.display", shown.append)
    monkeypatch.setenv("DIGITLAB_QUICK", "1")
    show_mode()
    assert len(shown) == 1 and "Quick mode is on" in shown[0].data
    assert "restart the kernel" in shown[0].data
    monkeypatch.setenv("DIGITLAB_QUICK", "0")
    show_mode()
    assert len(shown) == 1


def test_doctor_says_whether_quick_mode_is_on(monkeypatch):
    from digitlab import doctor

    monkeypatch.setenv("DIGITLAB_QUICK", "1")
    assert "quick mode is ON" in doctor.check_mode()[1]
    monkeypatch.delenv("DIGITLAB_QUICK")
    assert doctor.check_mode() == (True, "quick mode is off: the full lessons")


def test_tensorflow_is_imported_lazily_and_quietly():
    import subprocess
    import sys

    code = ("import sys, digitlab; assert 'tensorflow' not in sys.modules; "
            "from digitlab import tf, keras; print(tf.__version__, keras.__version__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"PATH": ""})
    assert result.stdout.split()[0].startswith("2.")
    assert result.stderr == ""  # no oneDNN / CUDA / CPU-feature chatter
