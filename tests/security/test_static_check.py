"""Issue 15: a static security check in the suite, so CI runs it: ruff's ``S`` rules (bandit's)
over the product's code, with each exception's reason in pyproject.toml or on its line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_code_passes_ruffs_security_rules():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is in the test extras (pyproject.toml)"
    result = subprocess.run([ruff, "check", "--select", "S", "--output-format", "concise",
                             "apps", "installatron_gui"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_finds_what_it_is_for(tmp_path):
    """The same command flags a shell string and SQL built from input."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    bad = tmp_path / "bad.py"
    bad.write_text("import subprocess\n\n\ndef f(cur, name):\n"
                   "    subprocess.run('ls ' + name, shell=True)\n"
                   "    cur.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n")
    result = subprocess.run([ruff, "check", "--isolated", "--select", "S", "--output-format",
                             "concise", str(bad)], capture_output=True, text=True, timeout=60)
    assert "S602" in result.stdout and "S608" in result.stdout, result.stdout


def test_no_name_is_used_before_it_exists():
    """Names that cannot resolve at run time (undefined, or a local that shadows a module
    it then uses before assigning: a merge of moved modules once left one in migration)."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    result = subprocess.run([ruff, "check", "--isolated", "--select", "F821,F822,F823",
                             "--output-format", "concise", "apps", "installatron_gui",
                             "benchmarks"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
