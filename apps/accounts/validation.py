"""Checks of the request header (user, reseller, websites) before anything is written."""

from __future__ import annotations

import ipaddress
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .errors import AccountError
from .models import USERNAME_RE

PATH_SCHEMES = {"ftp", "ftps", "sftp", "ssh"}
DB_TYPES = {"mysql", "mariadb", "mssql", "pgsql", "postgres", "sqlite"}
_WS_ID_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
# Control characters (CR/LF among them) never belong in a path, URL or folder; urlsplit
# silently drops some, so they are looked for in the raw text.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _valid_hostname(host: str) -> bool:
    """A DNS name (letters of any script, digits, '-', '_', dots) or an IP address: no
    shell or header syntax (';', '$(...)', quotes, spaces) ever reaches a command or a file."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(
        label and len(label) <= 63 and not label.startswith("-") and not label.endswith("-")
        and all(c.isalnum() or c in "-_" for c in label) for label in labels)


def check_username(value, *, errcode: str = "invalid_argument_user") -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise AccountError("The user must be an alphanumeric value.", errcode=errcode)
    value = str(value).strip()
    if not USERNAME_RE.match(value):
        raise AccountError(
            "The user must be an alphanumeric value of at most 64 characters "
            "(letters, digits, '_' and '-').",
            errcode=errcode,
        )
    return value


def mask_path(path: str) -> str:
    """``sftp://bob:secret@host/x`` -> ``sftp://bob:***@host/x``."""
    if "://" not in path:
        return path
    if path[:6].lower() == "app://":  # app://username:password, the password literal
        return path[:6] + path[6:].partition(":")[0] + ":***"
    parts = urlsplit(path)
    if parts.password is None and parts.username is None:
        return path
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    user = quote(unquote(parts.username or ""), safe="")
    cred = f"{user}:***@" if parts.password is not None else f"{user}@"
    return f"{parts.scheme}://{cred}{netloc}{parts.path}"


def check_path(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AccountError("Each website needs a path.", errcode="invalid_argument_websites")
    value = value.strip()
    if _CONTROL_RE.search(value):
        raise AccountError("The website path is malformed.", errcode="invalid_argument_websites")
    if "://" in value:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise AccountError(
                "The website path is not a valid URI.", errcode="invalid_argument_websites"
            ) from None
        if parts.scheme.lower() not in PATH_SCHEMES:
            raise AccountError(
                f"Unsupported website path scheme '{parts.scheme}'. "
                "Use a local path or ftp://, ftps://, sftp:// or ssh://.",
                errcode="invalid_argument_websites",
            )
        if not parts.hostname:
            raise AccountError(
                "The website path URI has no host.", errcode="invalid_argument_websites"
            )
        if not _valid_hostname(parts.hostname):
            raise AccountError(
                "The website path URI's host is not a valid host name.",
                errcode="invalid_argument_websites",
            )
        if ".." in parts.path.split("/"):
            raise AccountError(
                "The website path must not contain '..'.", errcode="invalid_argument_websites"
            )
        return value
    if not value.startswith("/"):
        raise AccountError(
            "A local website path must be absolute.", errcode="invalid_argument_websites"
        )
    if ".." in value.split("/"):
        raise AccountError(
            "The website path must not contain '..'.", errcode="invalid_argument_websites"
        )
    return posixpath.normpath(value)


def normalize_vhost_url(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme.lower()}://{netloc}{path}"


def vhost_target(vhosts: dict | None, url: str) -> tuple[str, str] | None:
    """The vhost (normalized) of ``vhosts`` that is the longest prefix of ``url``, and the
    folder relative to the website path the URL reaches through it.

    The folder is the vhost's folder plus the rest of the URL path. None when no vhost
    serves the URL, or when its path has ``..``, ``.`` or odd components (a URL never
    climbs out of the website).
    """
    best = None
    for vhost, folder in (vhosts or {}).items():
        vhost = normalize_vhost_url(vhost)
        if url != vhost and not url.startswith(vhost + "/"):
            continue
        if best is None or len(vhost) > len(best[0]):
            best = (vhost, folder or "")
    if best is None:
        return None
    vhost, folder = best
    rest = url[len(vhost):].strip("/")
    parts = [p for p in rest.split("/") if p] if rest else []
    if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    return vhost, posixpath.join(folder, *parts) if parts else folder


def serves(vhosts: dict | None, url: str, path: str) -> bool:
    """Whether a website with these vhosts serves ``url`` from ``path`` (both as an
    install record keeps them): how a record finds its website again."""
    found = vhost_target(vhosts, url)
    return found is not None and found[1].strip("/") == (path or "").strip("/")


def check_vhosts(value) -> dict[str, str]:
    if value in (None, "", []):
        return {}
    if not isinstance(value, dict):
        raise AccountError(
            "vhosts must map each URL to a folder.", errcode="invalid_argument_websites"
        )
    vhosts: dict[str, str] = {}
    for url, folder in value.items():
        try:
            parts = urlsplit(str(url).strip())
            parts.port  # noqa: B018
        except ValueError:
            parts = None
        if (not parts or parts.scheme.lower() not in {"http", "https"} or not parts.hostname
                or _CONTROL_RE.search(str(url).strip()) or not _valid_hostname(parts.hostname)):
            raise AccountError(
                f"The vhost '{str(url)[:100]}' is not an http(s) URL.",
                errcode="invalid_argument_websites",
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise AccountError(
                f"The vhost '{str(url)[:100]}' must be a plain http(s) URL.",
                errcode="invalid_argument_websites",
            )
        if folder is None:
            folder = ""
        if not isinstance(folder, str) or _CONTROL_RE.search(folder) or "\\" in folder:
            raise AccountError(
                "A vhost folder must be a path relative to the website path.",
                errcode="invalid_argument_websites",
            )
        folder = folder.strip().strip("/")
        if folder.startswith("~") or ".." in folder.split("/"):
            raise AccountError(
                f"The vhost folder '{folder[:100]}' climbs out of the website path.",
                errcode="invalid_argument_websites",
            )
        normalized = posixpath.normpath(folder) if folder else ""
        vhosts[normalize_vhost_url(str(url))] = "" if normalized == "." else normalized
    return vhosts


def check_databases(value) -> list[dict]:
    if value in (None, "", []):
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        raise AccountError("databases must be a list.", errcode="invalid_argument_websites")
    result = []
    for item in value:
        if not isinstance(item, dict) or not item.get("name"):
            raise AccountError(
                "Each database needs at least a name.", errcode="invalid_argument_websites"
            )
        db_type = str(item.get("type") or "mysql").lower()
        if db_type not in DB_TYPES:
            raise AccountError(
                f"Unsupported database type '{db_type[:20]}'.",
                errcode="invalid_argument_websites",
            )
        result.append(
            {
                "type": db_type,
                "host": str(item.get("host") or "localhost"),
                "name": str(item["name"]),
                "user": str(item.get("user") or item["name"]),
                "pass": None if item.get("pass") in (None, "") else str(item["pass"]),
            }
        )
    return result


def _int_or_none(value, name: str):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AccountError(
            f"The website {name} must be a number.", errcode="invalid_argument_websites"
        ) from None
    if number < 0:
        raise AccountError(
            f"The website {name} must not be negative.", errcode="invalid_argument_websites"
        )
    return number


@dataclass
class WebsiteSpec:
    ws_id: str
    label: str = ""
    path: str = ""
    vhosts: dict = field(default_factory=dict)
    email: str = ""
    uid: int | None = None
    gid: int | None = None
    db_mode: str = ""
    databases: list = field(default_factory=list)
    custom: dict = field(default_factory=dict)
    vhost_ip: str = ""


def check_email(value, errcode: str) -> str:
    if value in (None, ""):
        return ""
    try:
        validate_email(str(value))
    except ValidationError:
        raise AccountError("The email address is not valid.", errcode=errcode) from None
    return str(value)


def check_websites(value, *, path_required: bool = True) -> list[WebsiteSpec]:
    """Validate the ``websites`` member; the first problem raises."""
    if value in (None, ""):
        return []
    if isinstance(value, dict):
        # form bodies with non-contiguous indexes arrive as a dict
        value = list(value.values())
    if not isinstance(value, list):
        raise AccountError("websites must be a list.", errcode="invalid_argument_websites")
    specs: list[WebsiteSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise AccountError(
                "Each website must be an object.", errcode="invalid_argument_websites"
            )
        ws_id = str(item.get("id") if item.get("id") not in (None, "") else f"ws{index}")
        if not _WS_ID_RE.match(ws_id):
            raise AccountError(
                "A website id must be a short alphanumeric value.",
                errcode="invalid_argument_websites",
            )
        if ws_id in seen:
            raise AccountError(
                f"The website id '{ws_id}' is listed twice.", errcode="invalid_argument_websites"
            )
        seen.add(ws_id)
        path = item.get("path")
        if path in (None, "") and not path_required:
            path = ""
        else:
            path = check_path(path)
        db_mode = str(item.get("db_mode") or "")
        if db_mode not in {"", "manual", "auto", "automatic"}:
            raise AccountError(
                "db_mode must be 'manual' or empty.", errcode="invalid_argument_websites"
            )
        specs.append(
            WebsiteSpec(
                ws_id=ws_id,
                label=str(item.get("label") or "")[:255],
                path=path,
                vhosts=check_vhosts(item.get("vhosts")),
                email=check_email(item.get("email"), "invalid_argument_websites"),
                uid=_int_or_none(item.get("uid"), "uid"),
                gid=_int_or_none(item.get("gid"), "gid"),
                db_mode="manual" if db_mode == "manual" else "",
                databases=check_databases(item.get("databases")),
                custom={
                    k: v for k, v in item.items() if isinstance(k, str) and k.startswith("_")
                },
                vhost_ip=_ip_or_empty(item.get("vhost_ip")),
            )
        )
    return specs


def _ip_or_empty(value) -> str:
    """The v2 overview's ``vhost_ip``: where the vhosts answer when DNS does not say."""

    if value in (None, ""):
        return ""
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        raise AccountError("vhost_ip must be an IP address.",
                           errcode="invalid_argument_websites") from None
