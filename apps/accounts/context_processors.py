from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def principal(request):
    """The signed-in account and the navigation its role gets."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"principal": None, "nav": []}
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
    if user.is_admin:
        nav.append((_("Settings"), reverse("accounts:settings")))
    current = max((href for _, href in nav if request.path.startswith(href)), key=len, default="")
    return {"principal": user, "nav": [(label, href, href == current) for label, href in nav]}
