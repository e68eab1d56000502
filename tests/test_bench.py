"""The benchmark runs end to end in its --quick smoke mode, and reprints a saved run."""

import json

import pytest
from helpers import REAL_DATA, needs_real_mnist, write_idx

from digitlab import data, recipes
from digitlab._tf import keras
from tools import bench, bench_reader, bench_training

pytestmark = pytest.mark.slow


def test_timings_quick(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(data.DATA_ENV, str(write_idx(tmp_path / "mnist", tiny)))
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--only", *bench.TIMINGS, "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| warm `load_mnist()`" in table and "| `import digitlab` |" in table
    assert "| drawing pad: end of stroke -> probabilities |" in table
    saved = json.loads(out.read_text())
    assert [r["name"] for r in saved["results"]] == ["import", "load", "draw", "photo", "number"]
    assert all(r["median_s"] > 0 for r in saved["results"]) and saved["training"] == []
    assert not out.with_suffix(".png").exists()  # no training, no plot


def test_reader_quick_reads_in_fresh_processes_and_reprints(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--only", "reader", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["reader"]
    assert [r["name"] for r in rows] == [key for key, *_ in bench_reader.ROWS]
    by_name = {r["name"]: r for r in rows}
    assert 0 < by_name["photo_s"]["now"] < 60 and 40 < by_name["photo_mb"]["now"] < 2000
    assert by_name["folder_rate"]["now"] > 0
    assert "| fresh `predict` on a 12 MP JPEG of one digit |" in capsys.readouterr().out
    assert bench.main(["--show", str(out)]) == 0
    assert "| a folder of 1,000 photos, after start-up |" in capsys.readouterr().out


@needs_real_mnist
def test_everything_quick_on_real_mnist(tmp_path, monkeypatch, capsys):
    """Every training recipe, classic and digitlab's, for a few steps."""
    monkeypatch.setenv(data.DATA_ENV, str(REAL_DATA))
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "quick mode" in printed and "peak memory training LeNet" in printed
    saved = json.loads(out.read_text())
    rows = saved["training"]
    assert [(r["network"], r["recipe"]) for r in rows] == [
        (network, recipe) for network in ("raw MLP", "Keras MLP", "LeNet", "deep CNN")
        for recipe in ("classic", "digitlab")]
    for row in rows:
        run, = row["runs"]
        assert run["curve"] and 0 <= row["accuracy"] <= 1 and row["seconds"] > 0
        assert row["peak_memory_mb"] > 50  # a whole Python with TensorFlow, at least
        assert (row["met"] is None) == (row["recipe"] == "classic")
    assert out.with_suffix(".png").stat().st_size > 10_000

    assert bench.main(["--show", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "(quick mode)" in shown and shown.count("| reference |") == 4
    for row in rows:
        assert f"| {row['network']} | {row['recipe']}: {row['description']} |" in shown


@needs_real_mnist
def test_a_real_run_trains_in_a_worker_process_of_its_own(monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(REAL_DATA))
    monkeypatch.setattr(bench_training, "train_recipe", None)  # nothing may train in this process
    row = bench_training.train_in_worker("lenet", "digitlab", 0, quick=True)
    assert row["network"] == "LeNet" and len(row["curve"]) == 1 and row["peak_memory_mb"] > 50


def test_time_to_target():
    curve = [(1.0, 0.9), (2.0, 0.97), (3.0, 0.99)]
    assert bench_training._time_to(0.97, curve) == 2.0
    assert bench_training._time_to(0.995, curve) is None


def test_the_classic_recipes_are_the_tutorials():
    classic = bench_training.CLASSIC
    assert list(classic) == list(bench_training.TRAINING) == list(recipes.RECIPES)  # one key scheme
    lenet, raw = classic["lenet"], classic["raw_mlp"]
    assert (lenet.batch_size, lenet.epochs, lenet.peak_lr, lenet.schedule) == (16, 5, 1e-3, False)
    assert (raw.batch_size, raw.steps, raw.peak_lr) == (128, 1000, 1e-4)
    assert [layer.units for layer in classic["mlp"].build().layers[1:]] == [256, 128, 64, 10]
    deep = classic["deep_cnn"]
    assert deep.total_steps() == 10_000 and isinstance(deep.optimizer(), keras.optimizers.SGD)
