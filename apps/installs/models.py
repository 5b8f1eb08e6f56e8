"""Installed applications: where they live, which database they use, what they created."""

from __future__ import annotations

import posixpath
import secrets
import string
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Account, Website, within
from apps.accounts.validation import mask_path
from apps.catalog.errors import CatalogError
from apps.catalog.services import versions_available_from
from apps.recipes.base import app_name, get_recipe
from installatron_gui.lib.crypto import EncryptedJSONField, EncryptedTextField

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_install_id() -> str:
    """25 random [a-z0-9] characters, like the reference's install ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(25))


# Our autoup is the v1 integer; v2 renamed the values (0 none, 1 custom, 2 all).
AUTOUP_V2 = {0: "none", 1: "custom", 2: "all"}


class InstallQuerySet(models.QuerySet):
    def visible_to(self, principal: Account) -> InstallQuerySet:
        """Installs ``principal`` may see: the admin all, a reseller its tree, a user its own."""
        return self.filter(within(principal))

    def occupying(self, url: str, website: Website | None, path: str) -> InstallQuerySet:
        """Live installs that occupy ``url`` or the folder ``path`` of ``website``: where
        another application cannot go (install, edit, restore to, clone, import)."""
        where = models.Q(url=url)
        if website is not None:
            where |= models.Q(website=website, path=path)
        return self.filter(status__in=LIVE).filter(where)

    def search(self, q: str) -> InstallQuerySet:
        """The installs API's ``q``: title, url, id, installer and owner."""
        return self.filter(
            models.Q(title__icontains=q)
            | models.Q(url__icontains=q)
            | models.Q(id__icontains=q)
            | models.Q(installer__icontains=q)
            | models.Q(account__username__icontains=q)
        )


class Install(models.Model):
    """One installed application (the reference's install record)."""

    class Status(models.TextChoices):
        INSTALLING = "installing", _("Installing")
        INSTALLED = "installed", _("Installed")
        FAILED = "failed", _("Failed")
        UNINSTALLING = "uninstalling", _("Uninstalling")

    id = models.CharField(primary_key=True, max_length=25, default=new_install_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="installs")
    website = models.ForeignKey(
        Website, null=True, blank=True, on_delete=models.SET_NULL, related_name="installs"
    )
    installer = models.CharField(max_length=64)
    version = models.CharField(max_length=32)
    language = models.CharField(max_length=16, default="en")
    time = models.DateTimeField(default=timezone.now)
    # Relative to the website's path ("public_html/blog"); never absolute, never "..".
    path = models.CharField(max_length=1024)
    # Folders we created for the install, parents first; uninstall removes them if empty.
    path_created = models.JSONField(default=list, blank=True)
    url = models.CharField(max_length=2048)
    url_domain = models.CharField(max_length=255)
    # Where the installer reached the site when DNS does not point there.
    url_ip = models.CharField(max_length=64, blank=True, default="")
    db_host = models.CharField(max_length=255, blank=True, default="")
    db_type = models.CharField(max_length=16, blank=True, default="mysql")
    db_name = models.CharField(max_length=128, blank=True, default="")
    db_user = models.CharField(max_length=128, blank=True, default="")
    db_pass = EncryptedTextField(blank=True, default="")
    db_prefix = models.CharField(max_length=64, blank=True, default="")
    # True when the panel class created the database: uninstall then calls remove_db.
    db_created_by_panel = models.BooleanField(default=False)
    # A clone made with stage=true: the id of the live install that sync with push=1
    # copies it back onto.
    stage_of = models.CharField(max_length=32, blank=True, default="")
    title = models.CharField(max_length=255, blank=True, default="")
    list_files = models.JSONField(default=list, blank=True)
    list_tables = models.JSONField(default=list, blank=True)
    autoup = models.PositiveSmallIntegerField(default=0)
    autoup_backup = models.BooleanField(default=True)
    # Plugin and theme updates (the reference's autoup_plugins/autoup_themes, WordPress):
    # 0 none, 1 all, 2 custom (each add-on's own flag, the edit's plugin/theme autoup).
    autoup_plugins = models.PositiveSmallIntegerField(default=0)
    autoup_themes = models.PositiveSmallIntegerField(default=0)
    bkloc = EncryptedTextField(blank=True, default="")  # may carry FTP/SSH credentials
    autobk = models.CharField(max_length=64, blank=True, default="")
    autobk_daily = models.PositiveSmallIntegerField(default=0)
    autobk_weekly = models.PositiveSmallIntegerField(default=0)
    autobk_monthly = models.PositiveSmallIntegerField(default=0)
    notification = models.JSONField(default=list, blank=True)
    # Updates (apps/updates/services.py): when the last update finished, the version the
    # last automatic update went for and how many times it was tried, the newest version
    # an update_available email was sent for.
    time_updated = models.DateTimeField(null=True, blank=True)
    version_autouped = models.CharField(max_length=32, blank=True, default="")
    version_autouped_attempts = models.PositiveSmallIntegerField(default=0)
    version_notified = models.CharField(max_length=32, blank=True, default="")
    # Automatic backups (apps/backups/schedules.py): backup ids per period, newest first.
    autobk_state = models.JSONField(default=dict, blank=True)
    # The application's own field values, by the names its manifest gives them
    # (apps/recipes/fields.py), secrets left out: an admin login, email,
    # site title; a wiki's acl_policy. The API shows them as cf-<name>.
    fields = models.JSONField(default=dict, blank=True)
    # yes/no (sample content) or the id of the template the install was made from.
    content = models.CharField(max_length=64, blank=True, default="yes")
    cache_files = models.BigIntegerField(default=0)
    cache_tables = models.BigIntegerField(default=0)
    cache_time = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INSTALLING)
    # The task holding the install while it runs; set and cleared by conditional UPDATEs.
    task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Admin password (and a database password we were given) between the request and the
    # worker: encrypted, wiped as soon as the installer ran. Never in Celery messages.
    pending_secrets = EncryptedJSONField(null=True, blank=True)

    objects = InstallQuerySet.as_manager()

    class Meta:
        ordering = ["-time"]
        # Lists page by time, newest first: the admin's over every install, everyone
        # else's within their accounts (benchmarks/scale.py).
        indexes = [models.Index(fields=["url"]), models.Index(fields=["-time"]),
                   models.Index(fields=["account", "-time"])]

    def __str__(self) -> str:
        return f"{self.installer} at {self.url}"

    @property
    def app_name(self) -> str:
        return app_name(self.installer)

    @property
    def busy(self) -> bool:
        return self.task_id is not None

    def mark_failed(self) -> None:
        self.status = self.Status.FAILED
        self.pending_secrets = None
        Install.objects.filter(pk=self.pk).update(status=self.status, task=None,
                                                  pending_secrets=None)
        self.task = None

    def mark_installed(self) -> None:
        """The end of a successful install, copy or migration: installed, released, the
        secrets kept for the worker dropped, the cached sizes dated; everything saved."""
        self.status = self.Status.INSTALLED
        self.pending_secrets = None
        self.task = None
        self.cache_time = timezone.now()
        self.save()

    def pending_fields(self) -> dict:
        """The secret field values kept for the worker on ``pending_secrets`` (a row
        queued before fields were data has its admin password as ``passwd``)."""
        pending = self.pending_secrets or {}
        if "fields" in pending:
            return dict(pending["fields"] or {})
        return {"passwd": pending["passwd"]} if pending.get("passwd") else {}

    def full_path(self) -> str:
        """Where the files are, for people: the website path (credentials masked) + path."""
        base = self.website.display_path if self.website_id else ""
        return posixpath.join(base, self.path) if base else self.path

    def bkloc_display(self) -> str:
        """The backup location with its credentials masked."""
        return mask_path(self.bkloc) if self.bkloc else "local"

    def recipe(self):
        """The application's recipe, or None when its folder left the catalog."""
        try:
            return get_recipe(self.installer)
        except CatalogError:
            return None

    @property
    def admin_login(self) -> str:
        """The admin account's username (the ``login`` field, Installatron's name)."""
        return str((self.fields or {}).get("login") or "")

    @property
    def admin_email(self) -> str:
        return str((self.fields or {}).get("email") or "")

    def link_admin(self) -> str:
        try:
            return get_recipe(self.installer).manifest.get("link_admin", "")
        except Exception:  # noqa: BLE001 - an app removed from the catalog still lists
            return ""

    def versions_available(self, packages: list | None = None) -> dict:
        """``version-available`` and ``version-available-minor``: the newest versions in
        the package store this install can update to (empty when none). ``packages``: the
        application's stored versions, when a list already fetched them for every row."""

        try:
            found = versions_available_from(self.installer, self.version, packages)
        except CatalogError:
            found = {}
        return {"version-available": (found.get("versions-available") or [""])[-1],
                "version-available-minor": (found.get("versions-available-minor") or [""])[-1]}

    def backup_counts(self) -> dict[str, int]:
        """How many daily, weekly and monthly automatic backups to keep: the install's own
        (autobk=custom), its schedule's (autobk=<schedule name>), or none."""
        if self.autobk == "custom":
            return {"daily": self.autobk_daily, "weekly": self.autobk_weekly,
                    "monthly": self.autobk_monthly}
        schedule = BackupSchedule.objects.filter(name=self.autobk).first() if self.autobk \
            else None
        return schedule.counts() if schedule else {"daily": 0, "weekly": 0, "monthly": 0}


# Statuses whose install still occupies its URL and files.
LIVE = [Install.Status.INSTALLING, Install.Status.INSTALLED, Install.Status.UNINSTALLING]


class BackupSchedule(models.Model):
    """An administrator's automatic backup schedule: ``autobk=<name>`` on an install keeps
    this many daily, weekly and monthly backups (the reference's schedule id)."""

    name = models.CharField(max_length=64, unique=True)
    daily = models.PositiveSmallIntegerField(default=0)
    weekly = models.PositiveSmallIntegerField(default=0)
    monthly = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def counts(self) -> dict[str, int]:
        return {"daily": self.daily, "weekly": self.weekly, "monthly": self.monthly}


class AdminSso(models.Model):
    """A one-time sign-in file placed in a site (createadminsso): where it is and when it
    stops working. Only a hash of the link's token is in the file; none is kept here."""

    install = models.ForeignKey(Install, on_delete=models.CASCADE, related_name="+")
    # Relative to the website's path, like Install.path.
    file = models.CharField(max_length=1100)
    expires = models.DateTimeField(db_index=True)
    created = models.DateTimeField(default=timezone.now)


class Template(models.Model):
    """An install saved as a starting point (Installatron's templates): a backup-style
    archive (apps.backups' format) that ``content=<id>`` installs from."""

    id = models.CharField(primary_key=True, max_length=25, default=new_install_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="templates")
    install_ref = models.CharField(max_length=32, blank=True, default="")
    installer = models.CharField(max_length=64)
    version = models.CharField(max_length=32, blank=True, default="")
    language = models.CharField(max_length=16, blank=True, default="en")
    title = models.CharField(max_length=255, blank=True, default="")
    # The source's URL (replaced by the new install's) and table prefix at saving time.
    url = models.CharField(max_length=2048, blank=True, default="")
    db_prefix = models.CharField(max_length=64, blank=True, default="")
    # The archive, relative to settings.BACKUP_DIR ("<user>/templates/<id>.tar.zst", or .tar.gz).
    file = models.CharField(max_length=255)
    list_files = models.JSONField(default=list, blank=True)
    list_tables = models.JSONField(default=list, blank=True)
    size = models.BigIntegerField(default=0)
    checksum = models.CharField(max_length=64)
    time = models.DateTimeField(default=timezone.now)

    objects = InstallQuerySet.as_manager()

    class Meta:
        ordering = ["-time"]

    def __str__(self) -> str:
        return f"template {self.id} ({self.title or self.installer})"

    @property
    def archive_path(self):
        return Path(settings.BACKUP_DIR) / self.file
