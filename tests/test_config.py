"""Quick mode is one switch."""

import pytest

from digitlab import is_quick, pick


@pytest.mark.parametrize(("value", "quick"), [("1", True), ("yes", True), ("", False),
                                              ("0", False), ("False", False), ("no", False)])
def test_quick_switch(monkeypatch, value, quick):
    monkeypatch.setenv("DIGITLAB_QUICK", value)
    assert is_quick() is quick
    assert pick(full=10, quick=1) == (1 if quick else 10)


def test_full_lesson_by_default(monkeypatch):
    monkeypatch.delenv("DIGITLAB_QUICK", raising=False)
    assert not is_quick()


def test_tensorflow_is_imported_lazily_and_quietly():
    import subprocess
    import sys

    code = ("import sys, digitlab; assert 'tensorflow' not in sys.modules; "
            "from digitlab import tf, keras; print(tf.__version__, keras.__version__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"PATH": ""})
    assert result.stdout.split()[0].startswith("2.")
    assert result.stderr == ""  # no oneDNN / CUDA / CPU-feature chatter
