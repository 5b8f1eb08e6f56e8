"""Child processes inherit none of our secrets (issue 15, "Lower": tar, mysql, mysqldump
and php saw SECRET_KEY, FIELD_ENCRYPTION_KEYS and the MySQL admin password)."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import tarfile

from installatron_gui.lib.children import child_env

from .conftest import ROOT

SECRETS = {"SECRET_KEY": "secret-key-in-env", "FIELD_ENCRYPTION_KEYS": "field-key-in-env",
           "INSTALLATRON_MYSQL_PASSWORD": "mysql-admin-pw-in-env",
           "INSTALLATRON_KEY": "api-key-in-env"}


def test_tar_unpacking_a_package_sees_none_of_our_environment(monkeypatch, tmp_path):
    """GNU tar reads TAR_OPTIONS from its environment: were ours passed on, this one makes
    tar run ``env`` and write down everything it was given."""
    from apps.transports.local import LocalTransport

    seen = tmp_path / "tar-saw.txt"
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TAR_OPTIONS",
                       f"--checkpoint=1 --checkpoint-action=exec=env>>{seen}")
    archive = tmp_path / "app.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("app/index.php")
        info.size, info.mode = 5, 0o644
        tar.addfile(info, io.BytesIO(b"<?php"))
    site = tmp_path / "site"
    site.mkdir()

    assert LocalTransport(str(site)).put_tree(archive, "public_html") == ["app"]

    assert (site / "public_html" / "app" / "index.php").read_bytes() == b"<?php"
    assert not seen.exists(), "tar was given our environment (SECRET_KEY and all)"


def test_php_run_by_the_requirements_check_sees_none_of_our_environment(monkeypatch):
    from apps.installs import requirements

    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    given: list[dict] = []
    real_run = subprocess.run

    def run(argv, **kwargs):
        given.append(kwargs.get("env"))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    requirements.local_php_version.cache_clear()
    try:
        assert requirements.local_php_version()
    finally:
        requirements.local_php_version.cache_clear()
    [env] = given
    # What php itself sees with that environment:
    php = real_run(["php", "-n", "-r", "echo json_encode(getenv());"], env=env,
                   capture_output=True, text=True, check=True)
    seen = json.loads(php.stdout)
    assert set(seen) <= {"PATH", "LANG", "LC_ALL", "HOME", "TZ"}, seen
    assert not any(value in php.stdout for value in SECRETS.values())


def test_the_child_environment_keeps_what_commands_need(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = child_env(MYSQL_TEST="1")
    assert "SECRET_KEY" not in env and env["LANG"] == "C.UTF-8" and env["MYSQL_TEST"] == "1"
    assert env["PATH"]


def test_every_process_we_start_is_given_the_minimal_environment():
    """subprocess calls in apps/ and installatron_gui/ all pass env= (child_env)."""
    missing = []
    for folder in ("apps", "installatron_gui"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "subprocess"
                        and node.func.attr in {"run", "Popen", "call", "check_call",
                                               "check_output"}
                        and not any(k.arg == "env" for k in node.keywords)):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []
