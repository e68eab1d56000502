"""digitlab.data on tiny self-written IDX files: reading, finding, every failure, splitting."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from helpers import idx_bytes, write_idx

from digitlab import data, download
from digitlab.data import DataError, load_mnist


def assert_same(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    for got, name in [(x_train, "train-images-idx3-ubyte"), (y_train, "train-labels-idx1-ubyte"),
                      (x_test, "t10k-images-idx3-ubyte"), (y_test, "t10k-labels-idx1-ubyte")]:
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[name])


@pytest.mark.parametrize("gz", [True, False])
def test_reads_idx_folder(tiny, tmp_path, gz):
    folder = write_idx(tmp_path / "mnist", tiny, gz=gz)
    assert_same(load_mnist(folder), tiny)


def test_reads_mixed_gz_and_raw(tiny, tmp_path):
    folder = write_idx(tmp_path / "mnist", tiny, gz=True)
    name = "t10k-labels-idx1-ubyte"
    (folder / f"{name}.gz").unlink()
    (folder / name).write_bytes(idx_bytes(tiny[name]))
    assert_same(load_mnist(folder), tiny)


def test_reads_keras_npz(tiny, tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, **{data.NPZ_KEYS[name]: a for name, a in tiny.items()})
    assert_same(load_mnist(path), tiny)
    assert_same(load_mnist(tmp_path), tiny)  # a folder holding only mnist.npz


def test_source_order_path_then_env_then_cache(tiny, tmp_path, monkeypatch):
    explicit = write_idx(tmp_path / "explicit", tiny)
    env = write_idx(tmp_path / "env", tiny)
    cache = write_idx(data.cache_dir(), tiny, gz=False)
    monkeypatch.setenv(data.DATA_ENV, str(env))
    assert data.find_mnist(explicit) == explicit
    assert data.find_mnist() == env
    monkeypatch.delenv(data.DATA_ENV)
    assert data.find_mnist() == cache


def test_downloads_only_when_nothing_found(tiny, monkeypatch):
    calls = []
    monkeypatch.setattr(download, "download_mnist", lambda folder: calls.append(folder) or folder)
    assert data.find_mnist() == data.cache_dir()
    assert calls == [data.cache_dir()]
    with pytest.raises(DataError, match="not on this machine"):
        data.find_mnist(download=False)


def test_env_folder_missing_a_file_names_it(tiny, tmp_path, monkeypatch):
    folder = write_idx(tmp_path / "mnist", tiny)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv(data.DATA_ENV, str(folder))
    with pytest.raises(DataError) as err:
        load_mnist()
    message = str(err.value)
    assert "$DIGITLAB_DATA" in message and "train-labels-idx1-ubyte" in message
    assert "t10k-images" not in message.split("lacks")[1].split(".")[0]  # only what is missing
    # and how to fix it there: a download would not be read while the setting points there
    assert f"in {folder} (DIGITLAB_DATA points there)" in message
    assert "or unset DIGITLAB_DATA and run `digitlab data`" in message


def test_explicit_path_that_does_not_exist(tiny, tmp_path):
    with pytest.raises(DataError, match="nowhere, which does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_a_folder_where_a_file_should_be(tiny, tmp_path):
    folder = write_idx(tmp_path / "d", tiny)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    (folder / "t10k-labels-idx1-ubyte").mkdir()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte is a folder where MNIST's"):
        load_mnist(folder)


def test_an_unreadable_folder_says_so(tiny, tmp_path, monkeypatch):
    """As a user who may not look inside (root reads everything, so the refusal is simulated
    the way Python meets it: stat inside the folder raises PermissionError)."""
    folder = write_idx(tmp_path / "locked", tiny)
    real = Path.is_file

    def denied(path):
        if folder in path.parents:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "is_file", denied)
    monkeypatch.setenv(data.DATA_ENV, str(folder))
    with pytest.raises(DataError, match="locked cannot be read: permission denied"):
        load_mnist()
    monkeypatch.delenv(data.DATA_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))  # an unreadable cache: the same message
    with pytest.raises(DataError, match="cannot be read: permission denied"):
        load_mnist(download=False)


def test_an_npz_copied_into_the_cache_is_used(tiny, tmp_path):
    data.cache_dir().mkdir(parents=True)
    np.savez(data.cache_dir() / data.NPZ_NAME,
             **{data.NPZ_KEYS[name]: a for name, a in tiny.items()})
    (x_train, _), _ = load_mnist(download=False)
    assert (x_train == tiny["train-images-idx3-ubyte"]).all()


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped"])
def test_a_damaged_npz_gives_one_clear_message(tiny, tmp_path, damage):
    path = tmp_path / data.NPZ_NAME
    np.savez(path, **{data.NPZ_KEYS[name]: a for name, a in tiny.items()})
    raw = bytearray(path.read_bytes())
    if damage == "empty":
        raw = bytearray()
    elif damage == "truncated":
        raw = raw[:len(raw) // 2]
    else:  # one byte of the first array's pixels
        raw[raw.index(tiny["train-images-idx3-ubyte"][:1].tobytes()[:16])] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="damaged|corrupted") as err:
        load_mnist(path)
    assert "Delete it and fetch it again" in str(err.value)


def corrupt(tiny, tmp_path, name, transform, gz=True):
    """A folder of tiny MNIST whose file `name` has its (uncompressed) bytes transformed."""
    folder = write_idx(tmp_path / "mnist", tiny, gz=gz)
    path = folder / (f"{name}.gz" if gz else name)
    raw = transform(idx_bytes(tiny[name]))
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_file(tiny, tmp_path, gz):
    folder = corrupt(tiny, tmp_path, "train-images-idx3-ubyte", lambda b: b[:-100], gz=gz)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.* truncated: 4,620 bytes, "
                                        r"expected 4,720"):
        load_mnist(folder)


def test_truncated_gzip_stream(tiny, tmp_path):
    folder = write_idx(tmp_path / "mnist", tiny)
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz is truncated"):
        load_mnist(folder)


def test_not_gzip_at_all(tiny, tmp_path):
    folder = write_idx(tmp_path / "mnist", tiny)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(DataError, match="not a valid gzip file"):
        load_mnist(folder)


def test_flipped_pixel_fails_the_checksum(tiny, tmp_path):
    def flip(raw):
        raw = bytearray(raw)
        raw[500] ^= 0xFF
        return bytes(raw)

    folder = corrupt(tiny, tmp_path, "train-images-idx3-ubyte", flip)
    with pytest.raises(DataError) as err:
        load_mnist(folder)
    assert "corrupted or not the real MNIST" in str(err.value)
    assert data.FILES["train-images-idx3-ubyte"][0] in str(err.value)  # the expected sum


def test_labels_where_images_belong(tiny, tmp_path):
    folder = corrupt(tiny, tmp_path, "train-images-idx3-ubyte",
                     lambda _: idx_bytes(tiny["train-labels-idx1-ubyte"]))
    with pytest.raises(DataError, match="is not an MNIST images file"):
        load_mnist(folder)


def test_test_set_where_training_set_belongs(tiny, tmp_path):
    folder = corrupt(tiny, tmp_path, "train-images-idx3-ubyte",
                     lambda _: idx_bytes(tiny["t10k-images-idx3-ubyte"]))
    with pytest.raises(DataError, match=r"shape \(4, 28, 28\), expected \(6, 28, 28\)"):
        load_mnist(folder)


def test_empty_file(tiny, tmp_path):
    folder = corrupt(tiny, tmp_path, "train-labels-idx1-ubyte", lambda _: b"", gz=False)
    with pytest.raises(DataError, match="not an MNIST labels file: its first bytes are empty"):
        load_mnist(folder)


def test_npz_with_wrong_contents(tiny, tmp_path):
    keys = {data.NPZ_KEYS[name]: a for name, a in tiny.items()}
    np.savez(tmp_path / "missing.npz", **{k: v for k, v in keys.items() if k != "y_test"})
    with pytest.raises(DataError, match="no array y_test \\(it has x_train"):
        load_mnist(tmp_path / "missing.npz")
    np.savez(tmp_path / "floats.npz", **{**keys, "x_train": keys["x_train"] / 255})
    with pytest.raises(DataError, match=r"x_train\] holds float64 values"):
        load_mnist(tmp_path / "floats.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="damaged or not an npz file"):
        load_mnist(tmp_path / "junk.npz")


def test_split_is_deterministic_and_disjoint():
    x = np.arange(100).reshape(100, 1)
    y = np.arange(100)
    (x_tr, y_tr), (x_val, y_val) = data.split(x, y, val_size=20, seed=3)
    assert len(x_tr) == 80 and len(x_val) == 20
    assert sorted(np.concatenate([y_tr, y_val])) == list(range(100))
    np.testing.assert_array_equal(x_val[:, 0], y_val)  # images stay with their labels
    again = data.split(x, y, val_size=20, seed=3)[1][1]
    other = data.split(x, y, val_size=20, seed=4)[1][1]
    np.testing.assert_array_equal(again, y_val)
    assert not np.array_equal(other, y_val)
    with pytest.raises(ValueError, match="val_size"):
        data.split(x, y, val_size=100)


def test_scale():
    scaled = data.scale(np.array([0, 51, 255], np.uint8))
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [0.0, 0.2, 1.0])


def test_make_dataset_batches_scaled_images(tiny):
    x, y = tiny["train-images-idx3-ubyte"], tiny["train-labels-idx1-ubyte"]
    batches = list(data.make_dataset(x, y, batch_size=4, shuffle=True, seed=1))
    assert [len(b[0]) for b in batches] == [4, 2]
    xb, yb = batches[0]
    assert xb.dtype.name == "float32" and xb.shape[1:] == (28, 28)
    assert 0.0 <= float(np.min(xb)) and float(np.max(xb)) <= 1.0
    seen = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(seen) == sorted(y)  # shuffling keeps every example exactly once


def test_shift_moves_ink_and_fills_with_paper():
    image = np.zeros((28, 28), np.uint8)
    image[10, 12] = 200
    moved = data.shift(image, dx=3, dy=-2)
    assert moved[8, 15] == 200 and moved.sum() == 200
    np.testing.assert_array_equal(data.shift(image), image)
    assert data.shift(image, dx=28).sum() == 0 and data.shift(image, dy=-20).sum() == 0
    batch = np.stack([image, image])
    assert data.shift(batch, dx=1)[:, 10, 13].tolist() == [200, 200]  # works on batches too


