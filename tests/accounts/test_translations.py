"""Issue 14: every string of ours is translated in every language the GUI offers. The test
extracts the strings from a copy of the code (Django's makemessages, GNU gettext) and fails on
any that a catalog lacks, and on a compiled catalog (.mo, committed) that differs from what
its .po compiles to."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """A copy of the code and catalogs, with makemessages run over it."""
    copy = tmp_path_factory.mktemp("i18n")
    for name in ("apps", "installatron_gui", "templates", "locale"):
        shutil.copytree(ROOT / name, copy / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    args = [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete"]
    for code in LANGUAGES:
        args += ["-l", code]
    result = subprocess.run(args, cwd=copy, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return copy


def _statistics(po: Path) -> str:
    return subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
                          capture_output=True, text=True, check=True).stderr


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_string_is_translated(extracted, code):
    stats = _statistics(extracted / "locale" / code / "LC_MESSAGES" / "django.po")
    assert re.match(r"^\d+ translated messages\.$", stats.strip()), (
        f"{code}: {stats.strip()}; translate them in locale/{code}/LC_MESSAGES/django.po "
        "(manage.py makemessages, then compilemessages)")


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_committed_mo_is_the_po_compiled(tmp_path, code):
    folder = ROOT / "locale" / code / "LC_MESSAGES"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(folder / "django.po")],
                   check=True, capture_output=True)
    assert fresh.read_bytes() == (folder / "django.mo").read_bytes(), (
        f"locale/{code}: run manage.py compilemessages")
