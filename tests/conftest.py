"""The fixture the tests share: tiny IDX arrays standing in for MNIST (helpers.py has the rest)."""

import hashlib

import numpy as np
import pytest
from helpers import TINY_SHAPES, idx_bytes

from digitlab import data, download


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """Tiny IDX arrays standing in for MNIST: FILES now expects exactly these."""
    rng = np.random.default_rng(0)
    arrays = {name: rng.integers(0, 256 if len(shape) == 3 else 10, shape, dtype=np.uint8)
              for name, shape in TINY_SHAPES.items()}
    files = {name: (hashlib.sha256(idx_bytes(a)).hexdigest(), a.shape)
             for name, a in arrays.items()}
    monkeypatch.setattr(data, "FILES", files)
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return arrays
