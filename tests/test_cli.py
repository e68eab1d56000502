"""The `digitlab` command: `data` and `doctor`, as a student would run them."""

import os
import shutil
import subprocess
import sys

import pytest
from helpers import REAL_DATA, needs_real_mnist, write_idx

from digitlab import cli, data


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "digitlab", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_data_prints_where_it_is(tiny, tmp_path, capsys):
    folder = write_idx(tmp_path / "mnist", tiny)
    assert cli.main(["data", "--path", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "MNIST verified (SHA-256): 6 training and 4 test images" in out
    assert str(folder) in out


def test_data_error_is_one_clear_message_without_traceback(tmp_path):
    result = run_cli("data", "--path", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stderr.startswith("digitlab: the path you gave points to")
    assert "Traceback" not in result.stderr and "DIGITLAB_DATA" in result.stderr


def test_data_without_download_when_nothing_is_there(tiny, capsys):
    assert cli.main(["data", "--no-download"]) == 1
    assert "MNIST is not on this machine" in capsys.readouterr().err


@needs_real_mnist
def test_data_on_the_real_files():
    result = run_cli("data")
    assert result.returncode == 0, result.stderr
    assert "60,000 training and 10,000 test images" in result.stdout


def test_doctor_marks_each_check(tiny, capsys):
    # tiny has pointed the cache at an empty folder: the data check must fail with its fix.
    assert cli.main(["doctor"]) == 1
    lines = capsys.readouterr().out.splitlines()
    marks = {line.split()[1]: line[0] for line in lines if line and line[0] in "✓✗"}
    for name in ("Python", "TensorFlow", "Keras", "NumPy", "JupyterLab", "ipywidgets",
                 "anywidget"):
        assert marks[name] == "✓", lines
    assert "✓ quick mode is ON (DIGITLAB_QUICK is set)" in "\n".join(lines)  # as the tests run
    assert any(line.startswith("✓ TensorFlow sees 1 CPU") for line in lines)
    assert any(line.startswith("✓ widget front-ends installed") for line in lines)
    assert any(line.startswith("✓ libvips 8.") for line in lines)
    data_line = next(line for line in lines if line.startswith("✗ MNIST"))
    assert "DIGITLAB_DATA" in data_line


def test_doctor_names_a_missing_or_old_package():
    from digitlab import doctor

    ok, line = doctor.check_package("no-such-package-here", "Nothing", (1, 0))
    assert not ok and "not installed" in line and "pip install" in line
    ok, line = doctor.check_package("numpy", "NumPy", (999, 0))
    assert not ok and "too old (need 999.0 or newer)" in line


@needs_real_mnist
def test_doctor_all_green_on_a_ready_machine():
    result = run_cli("doctor")
    assert result.returncode == 0, result.stdout
    assert "✗" not in result.stdout and "All set." in result.stdout
    assert f"MNIST found and verified (SHA-256) in {data.find_mnist(REAL_DATA)}" in result.stdout


@pytest.mark.parametrize("argv", [[], ["nonsense"]])
def test_usage_errors(argv):
    result = run_cli(*argv)
    assert result.returncode == 2 and "usage: digitlab" in result.stderr


def test_data_export_copies_verified_files_for_a_classroom(tiny, tmp_path, capsys, monkeypatch):
    source = write_idx(tmp_path / "mnist", tiny, gz=False)
    room = tmp_path / "classroom" / "mnist"
    assert cli.main(["data", "--path", str(source), "--export", str(room)]) == 0
    assert f"DIGITLAB_DATA={room}" in capsys.readouterr().out
    assert sorted(p.name for p in room.iterdir()) == sorted(
        [f"{name}.gz" for name in tiny] + ["SHA256SUMS"])
    checked = subprocess.run(["sha256sum", "--check", "SHA256SUMS"], cwd=room,
                             capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.count(": OK") == 4, checked
    monkeypatch.setenv(data.DATA_ENV, str(room))  # what a student's machine does
    (x_train, _), _ = data.load_mnist()
    assert (x_train == tiny["train-images-idx3-ubyte"]).all()
    first = (room / "SHA256SUMS").read_bytes(), (room / "t10k-labels-idx1-ubyte.gz").read_bytes()
    cli.main(["data", "--path", str(source), "--export", str(room)])  # again: the same bytes
    assert first == ((room / "SHA256SUMS").read_bytes(),
                     (room / "t10k-labels-idx1-ubyte.gz").read_bytes())


def test_data_export_refuses_unverified_data(tiny, tmp_path, capsys):
    source = write_idx(tmp_path / "mnist", tiny)
    (source / "t10k-labels-idx1-ubyte.gz").write_bytes(b"junk")
    assert cli.main(["data", "--path", str(source), "--export", str(tmp_path / "room")]) == 1
    assert "t10k-labels" in capsys.readouterr().err
    assert not (tmp_path / "room").exists()  # nothing half-exported


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and util-linux's setpriv, to drop the power to read all")
def test_data_folder_that_cannot_be_read_for_real(tmp_path):
    """Root without CAP_DAC_OVERRIDE meets a folder's permissions as any user does."""
    locked = tmp_path / "d"
    locked.mkdir(mode=0o000)
    result = subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
         sys.executable, "-m", "digitlab", "data"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "DIGITLAB_DATA": str(locked)})
    locked.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert f"{locked} cannot be read: permission denied" in result.stderr
    assert "Traceback" not in result.stderr
