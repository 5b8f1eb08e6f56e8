from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .branding import branding_for

# Pages whose address lies under another tab than the one they belong to: installing is
# done from Applications; backing up, cloning and copying an install from its page.
SECTION_OF = {
    "installs:new": "catalog:browser",
    "backups:create": "installs:list",
    "backups:clone": "installs:list",
    "backups:push": "installs:list",
}


def principal(request):
    """The signed-in account and the navigation its role gets."""
    user = getattr(request, "user", None)
    # The switcher's choices (AccountLanguageMiddleware knows what the admin offers), on
    # the sign-in page too.
    offered = getattr(request, "offered_languages", ())
    languages = [(code, name) for code, name in settings.LANGUAGES if code in offered]
    if user is None or not user.is_authenticated:
        return {"principal": None, "nav": [], "languages": languages}
    nav = [
        (_("Applications"), reverse("catalog:browser")),
        (_("My installs"), reverse("installs:list")),
        (_("My backups"), reverse("backups:list")),
        (_("Tasks"), reverse("tasks:list")),
    ]
    if user.is_admin or user.is_reseller:
        # A reseller's own sub-resellers are on Resellers, as the admin's are.
        nav.append((_("Users"), reverse("accounts:users")))
        nav.append((_("Resellers"), reverse("accounts:resellers")))
        nav.append((_("Branding"), reverse("accounts:branding")))
    if user.is_admin:
        nav.append((_("Console"), reverse("console:applications")))
        nav.append((_("Settings"), reverse("accounts:settings")))
    match = getattr(request, "resolver_match", None)
    section = SECTION_OF.get(match.view_name if match else "")
    current = reverse(section) if section else max(
        (href for _, href in nav if request.path.startswith(href)), key=len, default="")
    return {"principal": user, "nav": [(label, href, href == current) for label, href in nav],
            "brand": brand_context(user), "languages": languages}


def brand_context(user) -> dict:
    """What base.html shows of the branding this account sees (none: the plain look)."""
    branding = branding_for(user)
    if branding is None:
        return {}
    version = f"?v={int(branding.updated.timestamp())}"
    return {
        "name": branding.name,
        "css_url": (reverse("accounts:brand_css", args=[branding.pk]) + version
                    if branding.accent or branding.bar else ""),
        "logo_url": (reverse("accounts:brand_logo", args=[branding.pk]) + version
                     if branding.logo_type else ""),
    }
