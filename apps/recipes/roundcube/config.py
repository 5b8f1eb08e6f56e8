"""Roundcube's config/config.inc.php: written for a new install, read by import, its
database and secret rewritten in place for a copy.

Roundcube's configuration is ``$config['name'] = value;`` lines (upstream's sample and
its own installer write that form); they are read and changed as PHP tokens, never run.
"""

from __future__ import annotations

import secrets
import string
from urllib.parse import quote, unquote

from apps.recipes.base import InstallError
from installatron_gui.lib.php import php_quote, php_tokens

CONFIG = "config/config.inc.php"
# Roundcube's des_key must be exactly 24 characters (its 3DES key for stored passwords).
DES_KEY_LENGTH = 24
_KEY_ALPHABET = string.ascii_letters + string.digits + "!#%*+,-./:;=?@^_~"


def des_key() -> str:
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(DES_KEY_LENGTH))


def dsn(values: dict[str, str]) -> str:
    """Roundcube's db_dsnw: user and password URL-encoded (rcube_db::parse_dsn decodes
    them), the host as given (``host:port`` is accepted)."""
    return (f"mysql://{quote(values['db_user'], safe='')}:{quote(values['db_pass'], safe='')}"
            f"@{values['db_host']}/{quote(values['db_name'], safe='')}")


def parse_dsn(text: str) -> dict[str, str] | None:
    """The database settings of a ``mysql://user:pass@host/name`` DSN, or None."""
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in ("mysql", "mysqli"):
        return None
    auth, at, location = rest.rpartition("@")
    if not at:
        return None
    user, _, password = auth.partition(":")
    host, slash, name = location.partition("/")
    if not slash or not name:
        return None
    return {"db_user": unquote(user), "db_pass": unquote(password),
            "db_host": host or "localhost", "db_name": unquote(name.split("?")[0])}


def _entries(src: str) -> dict[str, object]:
    """``$config['key'] = <literal>;`` statements -> key -> the literal's token (the
    first one of each key)."""
    tokens = [t for t in php_tokens(src) if t.kind not in ("ws", "comment")]
    found = {}
    for i in range(len(tokens) - 6):
        t = tokens[i: i + 7]
        if (t[0].kind == "var" and t[0].text == "$config" and t[1].text == "["
                and t[2].kind == "sq" and t[3].text == "]" and t[4].text == "="
                and t[6].text == ";" and t[5].value() is not None):
            found.setdefault(t[2].value(), t[5])
    return found


def read(src: str) -> dict[str, str]:
    """The plain values of the config's ``$config[...]`` settings."""
    return {key: token.value() for key, token in _entries(src).items()}


def rewrite(src: str, values: dict[str, str]) -> str:
    """``src`` with these settings' values replaced in place (comments and the rest kept);
    a setting it lacks is added at the end."""
    found = _entries(src)
    edits = [(found[k].start, found[k].end, f"'{php_quote(v)}'")
             for k, v in values.items() if k in found]
    for start, end, text in sorted(edits, reverse=True):
        src = src[:start] + text + src[end:]
    missing = [k for k in values if k not in found]
    if missing:
        src = src.rstrip()
        if src.endswith("?>"):
            raise InstallError(f"{CONFIG} ends with ?>; it cannot be extended safely.",
                               errcode="failed_install", status=500)
        src += "\n" + "".join(f"$config['{k}'] = '{php_quote(values[k])}';\n" for k in missing)
    return src


def new(db: dict[str, str], imap_host: str, smtp_host: str) -> str:
    """The configuration of a new install (upstream's minimal form)."""
    lines = ["<?php", "", "/* Written by the installer. Roundcube's defaults are in "
             "config/defaults.inc.php; settings here override them. */", "",
             "$config = [];"]
    for key, value in (("db_dsnw", dsn(db)), ("imap_host", imap_host),
                       ("smtp_host", smtp_host), ("smtp_user", "%u"), ("smtp_pass", "%p"),
                       ("support_url", ""), ("product_name", "Roundcube Webmail"),
                       ("des_key", des_key())):
        lines.append(f"$config['{key}'] = '{php_quote(value)}';")
    lines.append("$config['plugins'] = [];")
    return "\n".join(lines) + "\n"
