"""The benchmark runs end to end in its --quick smoke mode."""

import json

from conftest import write_idx
from digitlab import bench, data


def test_bench_quick(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(data.DATA_ENV, str(write_idx(tmp_path / "mnist", tiny)))
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| warm `load_mnist()`" in table and "| `import digitlab` |" in table
    assert "| drawing pad: end of stroke -> probabilities |" in table
    results = json.loads(out.read_text())["results"]
    assert [r["name"] for r in results] == ["import", "load", "draw", "photo"]
    assert all(r["median_s"] > 0 for r in results)
