"""config.php: ``define('NAME', value);`` lines of config.php-dist set to plain values."""

from __future__ import annotations

import re

from apps.recipes.base import InstallError

CONFIG = "config.php"
DIST = "config.php-dist"
DB_DEFINES = {"db_host": "DB_HOST", "db_name": "DB_NAME", "db_user": "DB_USER",
              "db_pass": "DB_PASS"}
_DEFINE = r"(define\(\s*'{name}'\s*,\s*)(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^)]*)(\s*\);)"
_VALUE = re.compile(r"define\(\s*'(\w+)'\s*,\s*(?:'((?:[^'\\]|\\.)*)'|([A-Za-z0-9_.-]+))\s*\);")


def php_string(value: str) -> str:
    """A single-quoted PHP literal (only backslash and quote are special there)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return php_string(str(value))


def set_defines(text: str, values: dict) -> str:
    """Set each ``define('NAME', ...)`` of ``values`` (name -> str/bool/int); every one
    must be there exactly once."""
    for name, value in values.items():
        text, count = re.subn(_DEFINE.format(name=re.escape(name)),
                              lambda m: m.group(1) + _literal(value) + m.group(2), text, count=1)
        if count != 1:
            raise InstallError(f"{CONFIG} does not define {name}.", errcode="failed_install",
                               status=500)
    return text


def read_defines(text: str) -> dict[str, str]:
    """The plain values of config.php's defines (strings unescaped, others as written)."""
    found = {}
    for name, quoted, bare in _VALUE.findall(text):
        if name in found:
            continue
        found[name] = re.sub(r"\\([\\'])", r"\1", quoted) if bare == "" else bare
    return found


def db_values(app) -> dict:
    """The defines that point config.php at ``app``'s database and address."""
    host = app.db_host or "localhost"
    port = ""
    name, sep, rest = host.partition(":")
    if sep and rest.isdigit():
        host, port = name, rest
    return {"DB_TYPE": "mysql", "DB_HOST": host, "DB_PORT": port, "DB_NAME": app.db_name,
            "DB_USER": app.db_user, "DB_PASS": app.db_pass,
            "SELF_URL_PATH": app.url.rstrip("/") + "/"}
