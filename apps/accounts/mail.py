"""Sending email through the mail server the administrator set in the console.

``ConfiguredEmailBackend`` is the default ``EMAIL_BACKEND``: when the console has an SMTP
host (``SiteSettings``), mail goes there with its port, login and encryption; otherwise to
``EMAIL_FALLBACK_BACKEND`` (the console backend: printed, not sent). The password is read
from its encrypted column only here, and never logged.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import gettext as _

from .branding import branding_for
from .errors import AccountError
from .middleware import supported_language
from .models import SiteSettings

SMTP_TIMEOUT = 20  # seconds: a mail server that hangs must not hold a worker for long


def smtp_connection(site: SiteSettings, *, fail_silently: bool = False):
    """Django's SMTP backend for the mail server in ``site``."""
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend", fail_silently=fail_silently,
        host=site.smtp_host, port=site.smtp_port, username=site.smtp_user or None,
        password=site.smtp_password or None,
        use_tls=site.smtp_security == SiteSettings.Security.STARTTLS,
        use_ssl=site.smtp_security == SiteSettings.Security.SSL, timeout=SMTP_TIMEOUT)


class ConfiguredEmailBackend(BaseEmailBackend):
    """Delegates to the console's SMTP server, or to ``EMAIL_FALLBACK_BACKEND``."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        site = SiteSettings.load()
        if site.smtp_host:
            self.inner = smtp_connection(site, fail_silently=fail_silently)
        else:
            self.inner = get_connection(settings.EMAIL_FALLBACK_BACKEND,
                                        fail_silently=fail_silently, **kwargs)

    def open(self):
        return self.inner.open()

    def close(self):
        return self.inner.close()

    def send_messages(self, email_messages):
        return self.inner.send_messages(email_messages)


def send_test_message(site: SiteSettings, to: str) -> None:
    """Send a short message through ``site``'s mail server; AccountError says why not."""
    if not site.smtp_host:
        raise AccountError(_("Set the mail server first."))
    message = EmailMessage(
        _("Test message from the application installer"),
        _("The mail server settings work: this message was sent through %(host)s.")
        % {"host": site.smtp_host}, site.from_email, [to],
        connection=smtp_connection(site))
    try:
        message.send()
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
        # The reason (refused, bad login, timeout) without the password, which smtplib
        # never puts in its messages.
        raise AccountError(_("The mail server did not take the message: %(reason)s")
                           % {"reason": str(exc)[:200] or exc.__class__.__name__}) from None


def mail_language(account) -> str:
    """The language of emails to ``account``: its own, else the one its last hand-off
    asked for, else the default; only languages the GUI is translated into."""
    handoff = account.handoffs.exclude(language="").order_by("-created", "-id").first()
    site = SiteSettings.load()  # one read for every code tried and the fallback
    offered = site.offered_codes()
    for code in (account.language, handoff.language if handoff else ""):
        if code and (found := supported_language(code, offered)):
            return found
    return site.fallback_language()


def has_brand(account) -> bool:
    branding = branding_for(account)
    return bool(branding is not None and branding.name)


def brand_name(account) -> str:
    """The product name ``account`` sees in the GUI (its reseller's brand, if any)."""
    branding = branding_for(account)
    return (branding.name if branding is not None else "") or _("App Installer")
