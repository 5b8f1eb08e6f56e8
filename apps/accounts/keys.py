"""The API keys, kept as Installatron keeps them: ``key=`` and ``key2=`` in settings.ini.

Environment variables INSTALLATRON_KEY / INSTALLATRON_KEY2 win over the file. Two keys
let a panel move to a new key while the old one still works.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from django.conf import settings

from .services import end_unused_handoffs

KEY_NAMES = ("key", "key2")


def _ini_path() -> Path:
    return Path(settings.SETTINGS_INI)


def _read_ini() -> dict[str, str]:
    path = _ini_path()
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith((";", "#", "[")) or "=" not in line:
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip().strip('"')
    return values


def _write_ini(values: dict[str, str]) -> None:
    path = _ini_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        for name, value in values.items():
            fh.write(f"{name}={value}\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def new_key() -> str:
    return secrets.token_hex(16)  # Installatron's keys are 32 hex digits


def ensure_keys() -> dict[str, str]:
    """Create settings.ini with fresh keys where none are set yet."""
    values = _read_ini()
    changed = False
    for name in KEY_NAMES:
        if not values.get(name):
            values[name] = new_key()
            changed = True
    if not values.get("admin"):
        values["admin"] = settings.ADMIN_USERNAME
        changed = True
    if changed:
        _write_ini(values)
    return current_keys()


def current_keys() -> dict[str, str]:
    values = _read_ini()
    keys = {}
    for name in KEY_NAMES:
        env = os.environ.get(f"INSTALLATRON_{name.upper()}")
        keys[name] = env if env else values.get(name, "")
    return keys


def rotate(name: str) -> str:
    if name not in KEY_NAMES:
        raise ValueError(f"unknown key {name!r}")
    if os.environ.get(f"INSTALLATRON_{name.upper()}"):
        raise ValueError(f"{name} is set by INSTALLATRON_{name.upper()}; change it there")
    values = _read_ini()
    values[name] = new_key()
    _write_ini(values)
    # Sign-in links minted with the old key (which may have leaked) stop working too.
    end_unused_handoffs()
    return values[name]


def check_key(candidate) -> bool:
    """Constant-time comparison against key and key2; empty keys never match."""
    if not isinstance(candidate, str) or not candidate:
        return False
    supplied = candidate.encode()
    ok = False
    for value in current_keys().values():
        if value and hmac.compare_digest(supplied, value.encode()):
            ok = True
    return ok
