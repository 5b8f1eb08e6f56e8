"""wp-config.php: the one place that reads and writes it.

Read and rewritten as PHP tokens (``installatron_gui.lib.php``), never run: a value is
replaced where it stands, so the owner's comments, layout and own settings are kept. An
install writes it from the package's ``wp-config-sample.php``; a copy (clone, restore to
a new place, migrate) and a database change by edit rewrite the existing one; import reads
it.
"""

from __future__ import annotations

import secrets
import string

from apps.recipes.base import InstallError
from installatron_gui.lib.php import read_php_settings, set_php_settings

CONFIG = "wp-config.php"
SAMPLE = "wp-config-sample.php"
SALT_PLACEHOLDER = "put your unique phrase here"
SALT_NAMES = ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
              "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT")
# Printable ASCII without the quote and backslash: safe inside a PHP single-quoted string.
SALT_ALPHABET = "".join(c for c in string.printable[:94] if c not in "'\\")
# Our names -> where wp-config.php keeps them.
SETTINGS = {"db_name": "DB_NAME", "db_user": "DB_USER", "db_pass": "DB_PASSWORD",
            "db_host": "DB_HOST", "db_prefix": "$table_prefix"}
# Updates are ours to run (autoup), and files are written directly.
OUR_DEFINES = ("define( 'AUTOMATIC_UPDATER_DISABLED', true );\n"
               "define( 'FS_METHOD', 'direct' );\n")
END_MARKER = "/* That's all, stop editing!"


def salts() -> list[str]:
    """Eight distinct random salts (AUTH_KEY ... NONCE_SALT)."""
    found: set[str] = set()
    while len(found) < len(SALT_NAMES):
        found.add("".join(secrets.choice(SALT_ALPHABET) for _ in range(64)))
    return list(found)


def read(src: str) -> dict[str, str]:
    """The database settings (``db_name``, ``db_user``, ``db_pass``, ``db_host``,
    ``db_prefix``) a wp-config.php sets as plain values; the others are left out."""
    settings = read_php_settings(src)
    found = {}
    for key, name in SETTINGS.items():
        value = (settings.variable(name[1:]) if name.startswith("$")
                 else settings.define(name))
        if value is not None:
            found[key] = value
    return found


def rewrite(src: str, values: dict[str, str]) -> str:
    """wp-config.php with new database settings (keys of ``SETTINGS``); each must be
    set exactly once, as a plain value, or nothing is changed."""
    src, unusable = set_php_settings(src, {SETTINGS[k]: v for k, v in values.items()})
    if unusable:
        raise InstallError(f"{CONFIG} does not set {', '.join(unusable)} exactly once as a "
                           "plain value; change it by hand.", errcode="failed_config",
                           status=500)
    return src


def rewrite_salts(src: str, new_salts) -> str:
    """wp-config.php with each salt setting it has replaced; WordPress keeps any it lacks
    in its options table instead."""
    src, _missing = set_php_settings(src, dict(zip(SALT_NAMES, new_salts, strict=True)))
    return src


def from_sample(sample: str, values: dict[str, str]) -> str:
    """A new wp-config.php from the package's sample: the database settings, utf8mb4,
    fresh salts and our own defines."""
    wanted = {SETTINGS[k]: v for k, v in values.items()} | {"DB_CHARSET": "utf8mb4"}
    src, unusable = set_php_settings(sample, wanted)
    if unusable:
        raise InstallError(f"{SAMPLE} has no {', '.join(unusable)} setting; the package is "
                           "not usable.", errcode="failed_package_invalid", status=500)
    src = rewrite_salts(src, salts())
    if SALT_PLACEHOLDER in src or not set(SALT_NAMES) <= set(read_php_settings(src).defines):
        raise InstallError(f"{SAMPLE} does not have the 8 salt settings.",
                           errcode="failed_package_invalid", status=500)
    if END_MARKER in src:
        return src.replace(END_MARKER, OUR_DEFINES + "\n" + END_MARKER, 1)
    return src + OUR_DEFINES
