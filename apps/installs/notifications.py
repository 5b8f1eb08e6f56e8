"""Email notifications about an install (the reference's ``notification`` list).

Each install chooses the events it wants (``Install.notification``: event names, or every
event when the list holds ``all``); the email goes to the website's address, else the
account's, through Django's email backend (``EMAIL_BACKEND``: the console's mail server).
Each is written in the owner's language and signed with the brand the owner sees in the
GUI (its reseller's). Emails carry what happened, to which site, and the message a customer
can act on; never passwords, database credentials or paths with credentials.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from apps.accounts.mail import brand_name, has_brand, mail_language
from apps.accounts.models import SiteSettings

log = logging.getLogger(__name__)

# The reference's events (section 3.3) with the subject line each sends.
EVENTS = {
    "update_available": _("An update is available for {title}"),
    "update": _("{title} was updated"),
    "update_error": _("The update of {title} failed"),
    "backup": _("{title} was backed up"),
    "backup_error": _("The backup of {title} failed"),
    "restore": _("{title} was restored from a backup"),
    "restore_error": _("Restoring {title} from a backup failed"),
    "clone": _("{title} was cloned"),
    "clone_error": _("Cloning {title} failed"),
    "install": _("{title} was installed"),
    "uninstall": _("{title} was uninstalled"),
    "autobk": _("An automatic backup of {title} was made"),
    "autobk_error": _("The automatic backup of {title} failed"),
}

# Context values that may appear in an email; anything else passed in is left out, so
# a caller cannot leak a secret by handing over a whole record.
SAFE_KEYS = ("version", "previous", "message", "backup", "url", "source", "versions")


def wants(install, event: str) -> bool:
    chosen = set(install.notification or [])
    return event in chosen or "all" in chosen


def recipient(install) -> str:
    website = getattr(install, "website", None)
    email = (getattr(website, "email", "") or "") if website is not None else ""
    return email or getattr(install.account, "email", "") or ""


def _body(install, event: str, context: dict, brand: str) -> str:
    lines = [str(EVENTS[event]).format(title=install.title or install.url), ""]
    lines.append(_g("Website: %(url)s") % {"url": install.url})
    if context.get("previous") and context.get("version"):
        lines.append(_g("Version: %(old)s -> %(new)s")
                     % {"old": context["previous"], "new": context["version"]})
    elif context.get("version"):
        lines.append(_g("Version: %(version)s") % {"version": context["version"]})
    if context.get("versions"):
        lines.append(_g("Available: %(versions)s") % {"versions": context["versions"]})
    if context.get("backup"):
        lines.append(_g("Backup: %(backup)s") % {"backup": context["backup"]})
    if context.get("source"):
        lines.append(_g("Copied from: %(source)s") % {"source": context["source"]})
    if context.get("message"):
        lines += ["", str(context["message"])]
    gui = getattr(settings, "GUI_URL", "")
    if gui:
        # reverse() carries the URL prefix (FORCE_SCRIPT_NAME); GUI_URL is the origin
        lines += ["", _g("Manage it at %(url)s")
                  % {"url": f"{gui}{reverse('installs:detail', args=[install.pk])}"}]
    lines += ["", "-- ", brand]
    return "\n".join(lines) + "\n"


def notify(install, event: str, **context) -> bool:
    """Send ``event``'s email about ``install`` if the install asked for it.

    Returns True when an email was handed to the backend. Never raises: a mail server
    that is down must not turn a finished backup or update into a failure.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    if install is None or not wants(install, event):
        return False
    to = recipient(install)
    if not to:
        return False
    safe = {k: context[k] for k in SAFE_KEYS if context.get(k) not in (None, "")}
    try:
        with translation.override(mail_language(install.account)):
            brand = brand_name(install.account)
            subject = str(EVENTS[event]).format(title=install.title or install.url)
            if has_brand(install.account):  # the reseller's name first, as its portal shows
                subject = f"[{brand}] {subject}"
            body = _body(install, event, safe, brand)
        send_mail(subject, body, SiteSettings.load().from_email, [to])
    except Exception:  # noqa: BLE001 - see the docstring; the log has the reason
        log.exception("notification %s for install %s could not be sent", event, install.pk)
        return False
    return True
