"""Catalog tests: each test gets its own empty package store; small archives on demand.

The real WordPress archive is built once per session by ``wordpress_archive``
(tests/fixtures/packages.py); ``wordpress_package`` registers it for one test.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

VERSION_PHP = b"<?php\n$wp_version = '%s';\n"


@pytest.fixture(autouse=True)
def store(settings, tmp_path) -> Path:
    settings.PACKAGE_STORE = tmp_path / "store"
    return settings.PACKAGE_STORE


@pytest.fixture
def make_archive(tmp_path):
    """make_archive(name, members) -> a .tar.gz; members are (name, kind, data) tuples.

    kind is "file", "dir", "symlink", "hardlink", "chr" (device) or "fifo".
    """

    def make(filename: str, members=None, *, version: str = "1.0") -> Path:
        if members is None:
            members = [("wp-includes", "dir", b""),
                       ("wp-includes/version.php", "file", VERSION_PHP % version.encode()),
                       ("index.php", "file", b"<?php echo 'hi';\n")]
        path = tmp_path / filename
        with tarfile.open(path, "w:gz") as tar:
            for name, kind, data in members:
                info = tarfile.TarInfo(name)
                if kind == "file":
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
                    continue
                info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                             "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE,
                             "fifo": tarfile.FIFOTYPE}[kind]
                if kind in {"symlink", "hardlink"}:
                    info.linkname = data.decode()
                tar.addfile(info)
        return path

    return make
