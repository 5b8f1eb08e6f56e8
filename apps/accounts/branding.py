"""Branded portals: which branding an account sees, and checking what a reseller uploads."""

from __future__ import annotations

from django.utils.translation import gettext as _

from installatron_gui.lib.colors import HEX_RE, contrast

from .errors import AccountError
from .models import Account, Branding

# The stylesheet's own colours (static/css/app.css), which a branding replaces.
DEFAULT_ACCENT = "#2a66d0"
DEFAULT_BAR = "#17223b"
PAGE = "#f5f7fa"  # the page background links sit on
MENU_TEXT = "#dfe7f5"  # the top bar's links
LOGO_MAX = 200 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
_OWNER_DEPTH = 16  # resellers of resellers: far deeper than any real tree


def branding_for(account: Account) -> Branding | None:
    """The branding ``account`` sees: its own if it has one (an admin or reseller previews
    its portal), else the nearest owner's up to the admin's; None for the plain look."""
    chain, current = [], account
    while current is not None and len(chain) < _OWNER_DEPTH:
        chain.append(current.pk)
        current = current.owner if current.owner_id else None
    found = {b.account_id: b for b in Branding.objects.filter(account_id__in=chain).defer("logo")}
    return next((found[pk] for pk in chain if pk in found), None)


def check_colors(accent: str, bar: str) -> None:
    """Refuse colours the GUI's text would be unreadable on (WCAG AA, 4.5:1): white button
    text and links on the page against ``accent``, the menu's links against ``bar``."""
    for color in (accent, bar):
        if color and not HEX_RE.match(color):
            raise AccountError(_("Colours are written as #rrggbb."))
    if accent and min(contrast(accent, "#ffffff"), contrast(accent, PAGE)) < 4.5:
        raise AccountError(_("That button colour is too light: white text on it, and links "
                             "on the page, would be hard to read. Choose a darker one."))
    if bar and contrast(bar, MENU_TEXT) < 4.5:
        raise AccountError(_("That top bar colour is too light for its white menu. Choose a "
                             "darker one."))


def check_logo(data: bytes) -> str:
    """The content type of an uploaded logo; PNG and JPEG only (an SVG can carry script)."""
    if len(data) > LOGO_MAX:
        raise AccountError(_("The logo may be at most 200 KB."))
    for magic, content_type in LOGO_TYPES.items():
        if data.startswith(magic):
            return content_type
    raise AccountError(_("The logo must be a PNG or JPEG image."))


def save_branding(account: Account, *, name: str, accent: str, bar: str,
                  logo: bytes | None = None, remove_logo: bool = False) -> Branding:
    """Create or change ``account``'s branding (an admin or reseller only)."""
    if not (account.is_admin or account.is_reseller):
        raise AccountError(_("Only the administrator and resellers have a branding."),
                           status=403)
    check_colors(accent, bar)
    logo_type = check_logo(logo) if logo else None
    branding, _created = Branding.objects.get_or_create(account=account)
    branding.name, branding.accent, branding.bar = name.strip()[:60], accent, bar
    if logo_type:
        branding.logo, branding.logo_type = logo, logo_type
    elif remove_logo:
        branding.logo, branding.logo_type = b"", ""
    branding.save()
    return branding


def reset_branding(account: Account) -> None:
    Branding.objects.filter(account=account).delete()
