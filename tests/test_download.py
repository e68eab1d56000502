"""The download path, for real: a server on 127.0.0.1 serving good, dropped and wrong files."""

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from helpers import REAL_DATA, idx_bytes, needs_real_mnist

from digitlab import data, download
from digitlab.data import DataError


def serve(files: dict[str, bytes], mode: str = "good"):
    """Start a server for `files` by URL name; mode: good, drop (half, then hang up) or wrong."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path.rsplit("/", 1)[-1])
            if body is None:
                self.send_error(404)
                return
            if mode == "wrong":  # right size and header, one byte off: only the checksum can tell
                raw = gzip.decompress(body)
                body = gzip.compress(raw[:-1] + bytes([raw[-1] ^ 1]))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if mode == "drop" else body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/mnist/"


@pytest.fixture
def mirror(tiny):
    """Start servers in any mode over the tiny MNIST; all shut down after the test."""
    files = {f"{name}.gz": gzip.compress(idx_bytes(a)) for name, a in tiny.items()}
    servers = []

    def start(mode="good"):
        server, url = serve(files, mode)
        servers.append(server)
        return url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_stores_uncompressed(tiny, mirror, tmp_path):
    folder = download.download_mnist(tmp_path / "dl", [mirror()], progress=False)
    assert leftovers(folder) == sorted(data.FILES)  # no .part or .gz files left behind
    assert all((folder / name).stat().st_mode & 0o444 == 0o444 for name in data.FILES)
    (x_train, _), (_, y_test) = data.load_mnist(folder)
    np.testing.assert_array_equal(x_train, tiny["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_test, tiny["t10k-labels-idx1-ubyte"])


def test_first_use_downloads_into_the_cache(tiny, mirror, monkeypatch):
    monkeypatch.setenv(download.MIRROR_ENV, mirror())
    (x_train, _), _ = data.load_mnist()
    np.testing.assert_array_equal(x_train, tiny["train-images-idx3-ubyte"])
    assert leftovers(data.cache_dir()) == sorted(data.FILES)


def test_dropped_connection_leaves_nothing(tiny, mirror, tmp_path):
    folder = tmp_path / "dl"
    with pytest.raises(DataError) as err:
        download.download_mnist(folder, [mirror("drop")], progress=False)
    assert "train-images-idx3-ubyte" in str(err.value)
    assert "IncompleteRead" in str(err.value) or "dropped" in str(err.value)
    assert leftovers(folder) == []


def test_falls_back_to_the_next_mirror(tiny, mirror, tmp_path):
    folder = download.download_mnist(tmp_path / "dl", [mirror("drop"), mirror()], progress=False)
    assert leftovers(folder) == sorted(data.FILES)


def test_wrong_bytes_are_rejected(tiny, mirror, tmp_path):
    folder = tmp_path / "dl"
    with pytest.raises(DataError, match="could not be downloaded") as err:
        download.download_mnist(folder, [mirror("wrong")], progress=False)
    assert "corrupted or not the real MNIST" in str(err.value)
    assert leftovers(folder) == []


def test_missing_on_the_server(tiny, tmp_path):
    server, url = serve({})
    try:
        with pytest.raises(DataError, match="404"):
            download.download_mnist(tmp_path / "dl", [url], progress=False)
    finally:
        server.shutdown()
        server.server_close()


def test_offline_first_run_says_what_to_do(tiny, tmp_path, monkeypatch):
    server, url = serve({})
    server.shutdown()
    server.server_close()  # nothing listens there any more: as good as being offline
    monkeypatch.setenv(download.MIRROR_ENV, url)
    with pytest.raises(DataError) as err:
        data.load_mnist()
    message = str(err.value)
    assert "not on this machine and could not be downloaded" in message
    assert "train-images-idx3-ubyte" in message and "refused" in message.lower()
    assert "DIGITLAB_DATA" in message and str(data.cache_dir()) in message


def test_damaged_earlier_copy_is_fetched_again(tiny, mirror, tmp_path):
    folder = download.download_mnist(tmp_path / "dl", [mirror()], progress=False)
    damaged = folder / "t10k-images-idx3-ubyte"
    whole = damaged.read_bytes()
    damaged.write_bytes(whole[:100])
    download.download_mnist(folder, [mirror()], progress=False)
    assert damaged.read_bytes() == whole  # fetched again, not kept cut short
    (_, _), (x_test, y_test) = data.load_mnist(folder)
    np.testing.assert_array_equal(x_test, tiny["t10k-images-idx3-ubyte"])


def test_ctrl_c_while_writing_leaves_no_half_file(tiny, mirror, tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(data.os, "fsync", interrupted)
    folder = tmp_path / "dl"
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C is passed on, not taken for a failed mirror
        download.download_mnist(folder, [mirror()], progress=False)
    assert leftovers(folder) == []


def test_mirror_variable_takes_several_urls(monkeypatch):
    monkeypatch.setenv(download.MIRROR_ENV, "http://a/ http://b/")
    assert download.mirrors() == ["http://a/", "http://b/"]
    monkeypatch.delenv(download.MIRROR_ENV)
    assert download.mirrors() == list(download.MIRRORS)


@needs_real_mnist
def test_real_mnist_over_http(tmp_path):
    """The real files, served as a mirror serves them, downloaded and verified end to end."""
    source = Path(REAL_DATA)
    files = {p.name: p.read_bytes() for p in source.glob("*-ubyte.gz")}
    if len(files) < 4:
        pytest.skip(f"{source} has no gzipped IDX files to serve")
    server, url = serve(files)
    try:
        folder = download.download_mnist(tmp_path / "dl", [url], progress=False)
    finally:
        server.shutdown()
        server.server_close()
    (x_train, y_train), (x_test, y_test) = data.load_mnist(folder)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
