"""The class server's own files: folders and files only root (or their owner) reads, the hub's
TLS certificate, and a file system of its own for each folder a student could fill.
`setup_class.py` makes them; each step here is one it takes.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import subprocess
from pathlib import Path


class SetupError(Exception):
    """Something in the class list or on the server that the instructor must fix first."""


def private_folder(path: Path, mode: int = 0o700) -> Path:
    """`path` as a folder of root's that only root enters (or `mode`)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, 0, 0)
    path.chmod(mode)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `path` as a new file that only its owner reads (0600 from its first byte)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(text)


def certificate(folder: Path, hosts: list[str], cert: Path | None, key: Path | None) -> str:
    """The hub's TLS certificate and key in `folder`: the instructor's, or a self-signed one
    for `hosts`, kept if already there; the certificate's SHA-256 fingerprint."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert and key:
        shutil.copyfile(cert, cert_path)
        key_path.unlink(missing_ok=True)
        write_private(key_path, key.read_text())
    elif not cert_path.exists():
        if not hosts:
            raise SetupError("--host: the name (or address) students will type, for the "
                             "certificate; or --cert and --key, your own")
        private = ec.generate_private_key(ec.SECP256R1())
        names = [x509.IPAddress(ipaddress.ip_address(h)) if _is_ip(h) else x509.DNSName(h)
                 for h in hosts]
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
        now = datetime.datetime.now(datetime.timezone.utc)
        made = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(private.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=400))  # a school year, and some
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                # a leaf, for this server alone: a student told to trust it trusts nothing else
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                             False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .sign(private, hashes.SHA256()))
        write_private(key_path, private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode())
        cert_path.write_bytes(made.public_bytes(serialization.Encoding.PEM))
    loaded = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return loaded.fingerprint(hashes.SHA256()).hex(":").upper()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def disk(image: Path, folder: Path, size: str, owner: tuple[int, int], mode: int,
         fstab: Path) -> None:
    """Give `folder` a file system of its own, `size` big, in the file `image`, so that filling
    it fills nothing else (not the hub's state, not another student's work): made once from
    what the folder holds, mounted now and at every boot (a line in `fstab`)."""
    if not image.exists():
        # all its space taken now, so that full disks inside never make the server's full
        subprocess.run(["fallocate", "--length", size, str(image)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-m", "0", "-E", "nodiscard", "-d", str(folder),
                        str(image)], check=True, capture_output=True)
    if not os.path.ismount(folder):
        subprocess.run(["mount", "-o", "loop,nosuid,nodev", str(image), str(folder)],
                       check=True, capture_output=True)
    if (folder / "lost+found").is_dir():  # root's, in a student's home: fsck makes it anew
        (folder / "lost+found").rmdir()
    os.chown(folder, *owner)
    folder.chmod(mode)
    line = f"{image} {folder} ext4 loop,nosuid,nodev 0 2\n"
    if line not in (fstab.read_text() if fstab.exists() else ""):
        with fstab.open("a") as f:
            f.write(line)
