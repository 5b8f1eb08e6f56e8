"""One-time admin sign-in links (the reference's ``createadminsso``).

A small file with a random name is placed in the site through the transport. It holds
only sha256 of a random token, an expiry and the admin's login; the link carries the
token. On use the file checks the token (hash_equals) and the time, removes itself, signs
the admin in with the application's own cookie and redirects to its administration. An
expired file removes itself when requested, and ``cleanup_admin_sso`` removes the ones
nobody opened. The token is never stored or logged here.
"""

from __future__ import annotations

import logging
import posixpath
import re
import secrets
from datetime import timedelta

from django.utils import timezone

from apps.catalog.errors import CatalogError
from apps.recipes.base import get_recipe
from installatron_gui.lib.errors import InstallatronError

from .errors import InstallError
from .models import AdminSso, Install
from .reach import open_website

log = logging.getLogger(__name__)

# Seconds a link works: long enough to click, short enough not to linger in a history.
SSO_TTL = 120
# The name create_admin_sso gives its files.
SSO_NAME_RE = re.compile(r"^itron-sso-[0-9a-f]{32}\.php$")


def create_admin_sso(install: Install, *, ttl: int = SSO_TTL) -> dict:
    """Place a one-time sign-in file for ``install``'s admin; returns the link data
    (``url``, ``expires`` as a UNIX time)."""

    if install.status != Install.Status.INSTALLED or install.website is None:
        raise InstallError("Only an installed application can be signed in to.",
                           errcode="invalid_argument_id", field="id")
    try:
        recipe = get_recipe(install.installer)
    except CatalogError as exc:
        raise InstallError(exc.message, errcode="invalid_argument_id", field="id") from None
    if not recipe.supports("sso") or not install.admin_login:
        raise InstallError(f"{recipe.name} does not support signing in from here.",
                           errcode="unsupported_createadminsso", field="id")
    token = secrets.token_urlsafe(32)
    name = f"itron-sso-{secrets.token_hex(16)}.php"
    rel = posixpath.join(install.path, name) if install.path else name
    expires = timezone.now() + timedelta(seconds=ttl)
    # The row first: if writing the file fails halfway, cleanup still knows where to look.
    row = AdminSso.objects.create(install=install, file=rel, expires=expires)
    try:
        with open_website(install.website) as transport:
            transport.write(rel, recipe.sso_file(token, int(expires.timestamp()),
                                                 install.admin_login), mode=0o644)
    except InstallatronError as exc:
        row.delete()
        raise InstallError(f"The sign-in link could not be made: {exc.message}",
                           errcode="failed_filesystem_permission", status=500) from None
    return {"id": install.id, "url": f"{install.url.rstrip('/')}/{name}?t={token}",
            "expires": int(expires.timestamp())}


def cleanup_admin_sso(now=None) -> int:
    """Remove expired sign-in files (used ones are gone already) and their rows."""
    count = 0
    expired = AdminSso.objects.filter(expires__lte=now or timezone.now()).select_related(
        "install", "install__website")
    for row in expired:
        website = row.install.website
        try:
            if website is not None:
                with open_website(website) as transport:
                    transport.remove(row.file)
        except InstallatronError as exc:
            # The site is unreachable now: keep the row and try again next time.
            log.warning("sign-in file of install %s not removed: %s", row.install_id,
                        exc.errcode)
            continue
        row.delete()
        count += 1
    return count


def remove_sign_in_files(install: Install, transport) -> None:
    """Uninstall: the sign-in files placed for ``install`` that are still there (the rows
    of links not yet expired, and any file of ours in its folder whose row is gone, such
    as one placed before its record was forgotten and imported again)."""
    names = set(AdminSso.objects.filter(install=install).values_list("file", flat=True))
    folder = install.path
    if not folder or transport.is_dir(folder):
        names |= {posixpath.join(folder, n) if folder else n
                  for n in transport.listdir(folder) if SSO_NAME_RE.match(n)}
    for rel in sorted(names):
        transport.remove(rel)
