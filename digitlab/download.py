"""Download MNIST from a public mirror (or DIGITLAB_MIRROR) into a folder, each file verified
before it is stored; `data.find_mnist` does it when MNIST is nowhere on the machine."""

from __future__ import annotations

import gzip
import http.client
import os
import urllib.request
import zlib
from pathlib import Path

from digitlab.data import FILES, DataError, cache_dir, decode
from digitlab.files import write_atomically

MIRROR_ENV = "DIGITLAB_MIRROR"
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def mirrors() -> list[str]:
    """The base URLs to download from: DIGITLAB_MIRROR (space-separated) or the public ones."""
    return os.environ.get(MIRROR_ENV, "").split() or list(MIRRORS)


def _fetch(url: str, progress: bool, timeout: float = 30) -> bytes:
    """The whole body of `url`, with a progress bar; a dropped connection raises."""
    from tqdm.auto import tqdm

    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        body = bytearray()
        with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1],
                  disable=not progress, leave=False) as bar:
            while chunk := response.read(1 << 16):
                body += chunk
                bar.update(len(chunk))
    if total and len(body) != total:
        raise DataError(f"the connection dropped after {len(body):,} of {total:,} bytes")
    return bytes(body)


def download_mnist(folder: Path | None = None, urls: list[str] | None = None,
                   progress: bool = True) -> Path:
    """Download, verify and store (uncompressed) each MNIST file that `folder` lacks."""
    folder = Path(folder) if folder is not None else cache_dir()
    urls = urls or mirrors()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create {folder} to download MNIST into: {e.strerror or e}.") \
            from None
    for name in FILES:
        target = folder / name
        if target.is_file():
            try:
                decode(name, target.read_bytes(), str(target))
                continue
            except DataError:
                pass  # a damaged earlier copy: fetch it again
        failures = []
        for base in urls:
            url = base.rstrip("/") + f"/{name}.gz"
            try:
                raw = gzip.decompress(_fetch(url, progress))
                decode(name, raw, url)
            except (OSError, EOFError, zlib.error, http.client.HTTPException, DataError) as e:
                reason = e.args[0] if isinstance(e, DataError) else str(e) or type(e).__name__
                failures.append(f"  {url}: {reason}")
                continue
            write_atomically(target, raw)
            break
        else:
            raise DataError(
                f"MNIST's {name} is not on this machine and could not be downloaded "
                "(no internet, or a mirror is down):\n" + "\n".join(failures))
    return folder
