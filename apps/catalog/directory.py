"""An upstream add-on directory speaking the WordPress.org API (``ADDON_DIRECTORY_URL``).

``<url>/plugins/info/1.2/?action=query_plugins&request[search]=...`` lists plugins,
``action=plugin_information&request[slug]=...`` describes one (its ``download_link``);
``/themes/info/1.2/`` the same for themes. A chosen add-on's ZIP is downloaded, checked
(every member below one folder named like the slug, safe names, no links, size limits)
and added to the package store as the store's own tar.gz, so the install that follows is
the store's staged install with its rollback, unchanged.

Every connection goes through ``lib.outbound`` (the one policy for addresses, timeouts
and errors); redirects are not followed; the download must use the setting's scheme.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import secrets
import ssl
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from installatron_gui.lib import outbound
from installatron_gui.lib.archives import member_name

from .errors import CatalogError
from .models import AddonPackage
from .services import MAX_MEMBERS, add_addon_package, store_dir

KINDS = {AddonPackage.Kind.PLUGIN: "plugins", AddonPackage.Kind.THEME: "themes"}
# The directory speaks WordPress.org's API: the add-on kinds its pages and forms name.
STORE_KINDS = {"plugin": AddonPackage.Kind.PLUGIN, "theme": AddonPackage.Kind.THEME}
MAX_REPLY_BYTES = 4 * 1024 * 1024
MAX_ZIP_BYTES = 64 * 1024 * 1024
MAX_ADDON_UNPACKED = 256 * 1024 * 1024
PER_PAGE = 10
PLUGIN_NAME_RE = re.compile(rb"^[ \t/*#@]*Plugin Name:", re.MULTILINE | re.IGNORECASE)
S_IFMT, S_IFLNK = 0o170000, 0o120000


def directory_url() -> str:
    """The configured directory, '' when adding from a directory is off."""
    return str(getattr(settings, "ADDON_DIRECTORY_URL", "") or "").rstrip("/")


def store_kind(kind: str) -> str:
    """The package store's kind of a directory add-on kind (``plugin`` -> ``wp-plugin``)."""
    if kind not in STORE_KINDS:
        raise CatalogError(_("The add-on is not in the directory."), errcode="invalid_argument_kind")
    return STORE_KINDS[kind]


def directory_name() -> str:
    return urlsplit(directory_url()).hostname or ""


def _unreachable() -> CatalogError:
    return CatalogError(_("The add-on directory %(name)s cannot be reached.")
                        % {"name": directory_name()}, errcode="failed_download", status=502)


class _Connection(http.client.HTTPConnection):
    """Connects through ``outbound.connect`` (the address policy and its one error)."""

    def connect(self):
        self.sock = outbound.connect(self.host, self.port, timeout=self.timeout)


class _TlsConnection(http.client.HTTPSConnection):
    def connect(self):
        sock = outbound.connect(self.host, self.port, timeout=self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)


def _get(url: str, sink, limit: int) -> None:
    """GET ``url`` into ``sink`` (a binary file object), at most ``limit`` bytes. Any
    failure (policy, network, status other than 200, a redirect, too large) is a
    ``CatalogError`` that names the directory, never the socket's text."""
    parts = urlsplit(url)
    if parts.scheme != urlsplit(directory_url()).scheme or not parts.hostname:
        raise _unreachable()
    cls = _TlsConnection if parts.scheme == "https" else _Connection
    conn = cls(parts.hostname, parts.port, timeout=outbound.timeout())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("GET", path, headers={"User-Agent": "installatron-gui"})
        response = conn.getresponse()
        if response.status == 404:
            raise CatalogError(_("The add-on is not in the directory."),
                               errcode="invalid_argument_slug", status=404)
        if response.status != 200:
            raise _unreachable()
        received = 0
        while chunk := response.read(64 * 1024):
            received += len(chunk)
            if received > limit:
                raise CatalogError(_("The download from the add-on directory is too large."),
                                   errcode="failed_download", status=502)
            sink.write(chunk)
    except (OSError, http.client.HTTPException, outbound.OutboundError):
        raise _unreachable() from None
    finally:
        conn.close()


def _api(kind: str, action: str, request: dict) -> dict:
    query = urlencode({"action": action, **{f"request[{k}]": v for k, v in request.items()}})
    buffer = io.BytesIO()
    _get(f"{directory_url()}/{KINDS[kind]}/info/1.2/?{query}", buffer, MAX_REPLY_BYTES)
    try:
        reply = json.loads(buffer.getvalue())
    except ValueError:
        raise _unreachable() from None
    if not isinstance(reply, dict):
        raise _unreachable()
    return reply


def search_addons(kind: str, search: str, page: int = 1) -> tuple[list[dict], int]:
    """One page of the directory's add-ons matching ``search``: (results, pages). Each
    result has ``slug``, ``name``, ``version``, ``short_description``."""
    action = "query_plugins" if kind == AddonPackage.Kind.PLUGIN else "query_themes"
    reply = _api(kind, action, {"search": search[:100], "per_page": PER_PAGE,
                                "page": max(1, int(page))})
    found = []
    for item in reply.get(KINDS[kind]) or []:
        if isinstance(item, dict) and isinstance(item.get("slug"), str):
            found.append({key: str(item.get(key) or "")[:500]
                          for key in ("slug", "name", "version", "short_description")})
    info = reply.get("info") if isinstance(reply.get("info"), dict) else {}
    try:
        pages = max(1, int(info.get("pages") or 1))
    except (TypeError, ValueError):
        pages = 1
    return found, pages


def addon_information(kind: str, slug: str) -> dict:
    action = "plugin_information" if kind == AddonPackage.Kind.PLUGIN else "theme_information"
    reply = _api(kind, action, {"slug": slug})
    if reply.get("error") or not reply.get("download_link"):
        raise CatalogError(_("The add-on is not in the directory."),
                           errcode="invalid_argument_slug", status=404)
    return reply


def _bad(why: str) -> CatalogError:
    return CatalogError(_("The add-on's archive from the directory is refused: %(why)s.")
                        % {"why": why}, errcode="invalid_argument_archive")


def zip_to_store_tar(zip_path: Path, slug: str, tar_path: Path) -> str:
    """Write the ZIP's ``slug/`` folder as a store archive (its contents at the root) and
    return the plugin's main file name ('' when none has a ``Plugin Name`` header).
    Refused: a member outside ``slug/``, an unsafe name, a link, too many members or
    too many bytes unpacked."""
    main = ""
    unpacked = 0
    try:
        with zipfile.ZipFile(zip_path) as zf, tarfile.open(tar_path, "x:gz") as tar:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS:
                raise _bad(_("too many files"))
            for info in members:
                top, _sep, rest = info.filename.partition("/")
                if top != slug or (rest and member_name(rest, exact=True) is None):
                    raise _bad(_("a file lies outside the add-on's folder"))
                if (info.external_attr >> 16) & S_IFMT == S_IFLNK:
                    raise _bad(_("it holds a link"))
                if not rest:
                    continue
                unpacked += info.file_size
                if unpacked > MAX_ADDON_UNPACKED:
                    raise _bad(_("it unpacks to too many bytes"))
                entry = tarfile.TarInfo(rest.rstrip("/"))
                if info.is_dir():
                    entry.type, entry.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(entry)
                    continue
                data = zf.read(info)
                entry.size, entry.mode = len(data), 0o644
                tar.addfile(entry, io.BytesIO(data))
                if (not main and "/" not in rest and rest.endswith(".php")
                        and PLUGIN_NAME_RE.search(data[:8192])):
                    main = rest
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _bad(_("it is not a readable ZIP file")) from None
    return main


def fetch_addon(kind: str, slug: str) -> AddonPackage:
    """Download the directory's current version of an add-on into the package store
    (or return the store's copy of that version) for the store's staged install."""
    if not directory_url():
        raise CatalogError(_("No add-on directory is configured."), errcode="failed_download")
    info = addon_information(kind, slug)
    version = str(info.get("version") or "")[:32]
    stored = AddonPackage.objects.of(kind, slug).filter(version=version).first()
    if stored is not None:
        return stored
    tag = secrets.token_hex(6)
    zip_path = store_dir() / f".directory-{tag}.zip"
    tar_path = store_dir() / f".directory-{tag}.tar.gz"
    try:
        with open(zip_path, "xb") as sink:
            _get(str(info["download_link"]), sink, MAX_ZIP_BYTES)
        main = zip_to_store_tar(zip_path, slug, tar_path)
        if kind == AddonPackage.Kind.PLUGIN and not main:
            raise _bad(_("it holds no plugin"))
        return add_addon_package(kind, slug, version, tar_path, main=main,
                                 name=str(info.get("name") or "")[:255])
    finally:
        zip_path.unlink(missing_ok=True)
        tar_path.unlink(missing_ok=True)
