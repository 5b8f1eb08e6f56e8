"""CVE-2024-6232: the pax-header parser of a Python without the fix is swapped for CPython's
fixed one as soon as the project is imported (installatron_gui/lib/tarfix.py)."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile

import pytest

from installatron_gui.lib import tarfix


def _misframed_pax_archive() -> bytes:
    """A pax header whose record claims a length past its newline. The fixed parser checks
    the framing of every record; the vulnerable one reads on with a regular expression."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("a.txt")
        info.pax_headers = {"comment": "x"}
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    data = out.getvalue()
    record = b"13 comment=x\n"
    assert record in data
    return data.replace(record, b"15 comment=x\n", 1)


READ = ("import io, sys, tarfile\n"
        "try:\n"
        "    tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read())).getmembers()\n"
        "except tarfile.ReadError:\n"
        "    print('refused')\n"
        "else:\n"
        "    print('read')\n")


def test_the_project_reads_pax_headers_with_the_fixed_parser():
    import installatron_gui  # noqa: F401  (what every process imports first)

    assert not tarfix.needed() or tarfile.TarInfo._proc_pax is tarfix._proc_pax
    with pytest.raises(tarfile.ReadError):
        tarfile.open(fileobj=io.BytesIO(_misframed_pax_archive())).getmembers()


def test_without_the_project_this_python_is_vulnerable_or_already_fixed():
    """Shows the swap matters here: a bare interpreter reads the misframed header when its
    tarfile predates the fix, and refuses it when it has the fix."""
    bare = subprocess.run([sys.executable, "-I", "-c", READ], input=_misframed_pax_archive(),
                          capture_output=True, check=True).stdout.decode().strip()
    assert bare == ("read" if tarfix.needed() else "refused")


def test_a_well_formed_pax_archive_still_reads():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("caf\u00e9/" + "n" * 120 + ".txt")
        info.pax_headers = {"comment": "ok"}
        tar.addfile(info, io.BytesIO(b""))
    members = tarfile.open(fileobj=io.BytesIO(out.getvalue())).getmembers()
    assert members[0].name == "caf\u00e9/" + "n" * 120 + ".txt"
    assert members[0].pax_headers["comment"] == "ok"
