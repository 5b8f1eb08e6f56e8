"""Who uses the installer: the main admin, resellers, website owners and their websites."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from installatron_gui.lib.crypto import EncryptedJSONField, EncryptedTextField

# Installatron calls the user id "alphanumeric"; panels also use _ and - in account names.
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def below(pk: int) -> RawSQL:
    """The ids of every account below account ``pk`` (owned directly or through
    sub-resellers), as one recursive query to use inside another (``pk__in=below(pk)``):
    a reseller's lists cost one query however deep and wide the tree (MariaDB 10.2+, MySQL 8,
    SQLite 3.8.3+). UNION, not UNION ALL: an ownership cycle ends instead of looping."""
    # The only names in the text are our model's table, quoted; the id is a parameter.
    table = connection.ops.quote_name(Account._meta.db_table)
    sql = (f"WITH RECURSIVE tree (id) AS (SELECT id FROM {table} WHERE owner_id = %s "  # noqa: S608
           f"UNION SELECT a.id FROM {table} a JOIN tree t ON a.owner_id = t.id) "
           "SELECT id FROM tree")
    return RawSQL(sql, [int(pk)])  # noqa: S611 (see above)


def within(principal: Account, field: str = "account") -> models.Q:
    """Rows (``field``: their owning account) that ``principal`` may see: a reseller its
    own and its whole tree's (one subquery), anyone else its own. The admin's: no filter."""
    if principal.is_admin:
        return models.Q()
    own = models.Q(**{f"{field}_id": principal.pk})
    if principal.is_reseller:
        return own | models.Q(**{f"{field}_id__in": below(principal.pk)})
    return own


class AccountQuerySet(models.QuerySet):
    def owned_by(self, principal: Account) -> AccountQuerySet:
        """Accounts below ``principal`` in the ownership tree (not the principal itself)."""
        if principal.is_admin:
            return self.exclude(pk=principal.pk)
        return self.filter(pk__in=below(principal.pk))

    def users(self) -> AccountQuerySet:
        return self.filter(kind=Account.Kind.USER)

    def resellers(self) -> AccountQuerySet:
        return self.filter(kind=Account.Kind.RESELLER)


class AccountManager(BaseUserManager.from_queryset(AccountQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(username=username)

    def main_admin(self) -> Account:
        admin, _ = self.get_or_create(
            username=settings.ADMIN_USERNAME, defaults={"kind": Account.Kind.ADMIN}
        )
        return admin


class Account(AbstractBaseUser):
    """One row per Installatron ``user``: the admin, a reseller or a website owner."""

    class Kind(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        RESELLER = "reseller", _("Reseller")
        USER = "user", _("User")

    username = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.USER)
    # Resellers and sub-resellers: the owner chain. Null only for the main admin.
    owner = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="owned"
    )
    suspended = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    package = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    # Bumped to end every open session of the account (suspension, password change).
    session_epoch = models.PositiveIntegerField(default=0)

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = AccountManager()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    @property
    def is_admin(self) -> bool:
        return self.kind == self.Kind.ADMIN

    @property
    def is_reseller(self) -> bool:
        return self.kind == self.Kind.RESELLER

    @property
    def is_active(self) -> bool:
        """Suspension of the account or of any reseller above it keeps it out."""
        account: Account | None = self
        seen = 0
        while account is not None and seen < 32:
            if account.suspended:
                return False
            account = account.owner
            seen += 1
        return True

    # Django's auth uses these for the admin-site style permission checks we don't use.
    @property
    def is_staff(self) -> bool:
        return False

    def save(self, *args, **kwargs):
        # Accounts that arrive by hand-off have no password until one is set on purpose.
        if not self.password:
            self.set_unusable_password()
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret=None):
        # Mixing in the epoch lets us end all sessions without touching the password.
        return salted_hmac(
            "apps.accounts.Account.session",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def descendant_ids(self) -> set[int]:
        """Ids of every account owned directly or through sub-resellers (one query)."""
        return set(Account.objects.filter(pk__in=below(self.pk)).values_list("pk", flat=True))

    def vhost_urls(self) -> list[str]:
        """Every vhost URL of the account's websites: where the GUI lets it put things."""
        return sorted({url for website in self.websites.all() for url in (website.vhosts or {})})

    def manages(self, other: Account) -> bool:
        """True if ``other`` sits below this account in the ownership tree."""
        if other.pk == self.pk:
            return False
        if self.is_admin:
            return True
        node = other.owner
        depth = 0
        while node is not None and depth < 32:
            if node.pk == self.pk:
                return True
            node = node.owner
            depth += 1
        return False

    def end_sessions(self) -> None:
        self.session_epoch += 1
        self.save(update_fields=["session_epoch"])


class Website(models.Model):
    """A website of a user as the request header describes it."""

    class DbMode(models.TextChoices):
        AUTO = "", "Automatic (panel class)"
        MANUAL = "manual", _("Manual (databases listed)")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="websites")
    ws_id = models.CharField("id", max_length=128)
    label = models.CharField(max_length=255, blank=True, default="")
    # Local path or ftp://, ftps://, sftp://, ssh:// URI with credentials: encrypted.
    path = EncryptedTextField(blank=True, default="")
    vhosts = models.JSONField(default=dict)
    email = models.EmailField(blank=True, default="")
    uid = models.IntegerField(null=True, blank=True)
    gid = models.IntegerField(null=True, blank=True)
    db_mode = models.CharField(max_length=16, blank=True, default="", choices=DbMode.choices)
    # Where the vhosts answer when DNS does not say (the default url_ip of installs).
    vhost_ip = models.CharField(max_length=45, blank=True, default="")
    # [{"type", "host", "name", "user", "pass"}]; passwords inside, so encrypted.
    databases = EncryptedJSONField(null=True, blank=True)
    # Members whose names begin with "_", kept for the panel class.
    custom = EncryptedJSONField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["account", "position", "ws_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "ws_id"], name="website_unique_id")
        ]

    def __str__(self) -> str:
        return self.label or self.ws_id

    @property
    def scheme(self) -> str:
        path = self.path or ""
        return path.split("://", 1)[0] if "://" in path else "local"

    @property
    def display_path(self) -> str:
        """The path with any credentials masked, for pages and logs."""
        from .validation import mask_path  # validation imports this module

        return mask_path(self.path or "")

    def as_session(self) -> dict:
        """The website as the panel class sees it (Installatron's itron::$session)."""
        data = {
            "user": self.account.username,
            "id": self.ws_id,
            "label": self.label,
            "path": self.path,
            "vhosts": dict(self.vhosts or {}),
            "email": self.email,
            "uid": self.uid,
            "gid": self.gid,
            "db_mode": self.db_mode,
            "databases": list(self.databases or []),
            "vhost_ip": self.vhost_ip,
        }
        data.update(self.custom or {})
        return data


class Branding(models.Model):
    """How the GUI looks to the customers of an admin or reseller (and to themselves): the
    product's name, a logo and two colours. Accounts without one see their nearest owner's."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="branding")
    name = models.CharField(max_length=60, blank=True, default="")
    accent = models.CharField(max_length=7, blank=True, default="")  # buttons and links
    bar = models.CharField(max_length=7, blank=True, default="")  # the top bar
    logo = models.BinaryField(blank=True, default=b"")
    logo_type = models.CharField(max_length=32, blank=True, default="")
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or f"branding of {self.account_id}"


def hash_handoff_id(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class HandoffQuerySet(models.QuerySet):
    def redeemable(self) -> HandoffQuerySet:
        return self.filter(used_at__isnull=True, expires__gt=timezone.now())


class Handoff(models.Model):
    """A one-time GUI session id from guixfer. Only the SHA-256 of the id is stored."""

    id_hash = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="handoffs")
    language = models.CharField(max_length=16, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["expires"])]

    @classmethod
    def lifetime(cls) -> timedelta:
        return timedelta(seconds=settings.HANDOFF_TTL)


class LoginFailure(models.Model):
    """A failed password login, counted for throttling."""

    username = models.CharField(max_length=150)
    address = models.GenericIPAddressField(null=True, blank=True)
    time = models.DateTimeField(default=timezone.now, db_index=True)


class SiteSettings(models.Model):
    """The administrator's settings kept in the database (one row, ``SiteSettings.load()``):
    the mail server notifications go through, and the options new installs start with."""

    class Security(models.TextChoices):
        NONE = "", _("None")
        STARTTLS = "starttls", _("STARTTLS")
        SSL = "ssl", _("SSL/TLS")

    smtp_host = models.CharField(max_length=255, blank=True, default="")
    smtp_port = models.PositiveIntegerField(default=25)
    smtp_user = models.CharField(max_length=255, blank=True, default="")
    smtp_password = EncryptedTextField(blank=True, default="")
    smtp_security = models.CharField(max_length=8, blank=True, default="",
                                     choices=Security.choices)
    smtp_from = models.EmailField(blank=True, default="")
    # What an install that does not say gets (the install API's autoup, autobk...).
    default_autoup = models.PositiveSmallIntegerField(default=0)
    default_autoup_backup = models.BooleanField(default=True)
    default_autobk = models.CharField(max_length=64, blank=True, default="")
    default_autobk_daily = models.PositiveSmallIntegerField(default=0)
    default_autobk_weekly = models.PositiveSmallIntegerField(default=0)
    default_autobk_monthly = models.PositiveSmallIntegerField(default=0)
    # The GUI languages offered (codes of settings.LANGUAGES; empty: every one) and the one
    # for people who chose none and whose browser asks for none of them.
    languages = models.JSONField(default=list, blank=True)
    default_language = models.CharField(max_length=16, blank=True, default="")
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "site settings"

    @classmethod
    def load(cls) -> SiteSettings:
        found, _created = cls.objects.get_or_create(pk=1)
        return found

    @property
    def from_email(self) -> str:
        return self.smtp_from or settings.DEFAULT_FROM_EMAIL

    def offered_languages(self) -> list[tuple[str, str]]:
        """The GUI languages people may have, as (code, name), in settings' order."""
        found = [(code, name) for code, name in settings.LANGUAGES if code in self.languages]
        return found or list(settings.LANGUAGES)

    def offered_codes(self) -> list[str]:
        return [code for code, _name in self.offered_languages()]

    def fallback_language(self) -> str:
        offered = self.offered_codes()
        if self.default_language in offered:
            return self.default_language
        return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in offered else offered[0]


class AuditQuerySet(models.QuerySet):
    def by(self, actor: str) -> AuditQuerySet:
        return self.filter(actor=actor)


class AuditEntry(models.Model):
    """One change made in the GUI by the admin or a reseller: who, when, what. Never a
    secret (a changed password is written as "changed", not as its value)."""

    time = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=64, db_index=True)
    action = models.CharField(max_length=48, db_index=True)
    target = models.CharField(max_length=128, blank=True, default="")
    detail = models.CharField(max_length=500, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"
