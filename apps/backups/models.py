"""Backups of installed applications: one archive file per row, outside any web root.

A row exists only for a complete archive (written under a temporary name, fsynced and
renamed first), so a backup that was cut short is never listed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.accounts.models import Account, Website, within
from apps.recipes.base import app_name
from apps.installs.models import new_install_id
from installatron_gui.lib.crypto import EncryptedTextField

# The reference leaves the list of expiry values open; ours: never, or a count of
# hours, days, weeks, months (30 days) or years (365 days): "12h", "7d", "2w", "6m", "1y".
EXPIRY_RE = re.compile(r"^(\d{1,4})\s*([hdwmy])$")
EXPIRY_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
                "m": timedelta(days=30), "y": timedelta(days=365)}


def parse_expiry(value, *, now=None):
    """``None`` (never) or the moment a backup expires, from an ``expiry`` argument.

    Raises ValueError for anything else, so callers can answer their own errcode.
    """
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("", "0", "never", "none"):
        return None
    if text.isdigit():
        text += "d"  # a bare number counts days
    match = EXPIRY_RE.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(text)
    return (now or timezone.now()) + int(match.group(1)) * EXPIRY_UNITS[match.group(2)]


class BackupQuerySet(models.QuerySet):
    def visible_to(self, principal: Account) -> BackupQuerySet:
        """The admin sees all backups, a reseller those of its tree, a user its own."""
        return self.filter(within(principal))

    def search(self, q: str) -> BackupQuerySet:
        """The backups API's ``q``: title, url, id, installer and owner."""
        return self.filter(
            models.Q(title__icontains=q) | models.Q(url__icontains=q)
            | models.Q(id__icontains=q) | models.Q(installer__icontains=q)
            | models.Q(account__username__icontains=q))

    def expired(self, now=None) -> BackupQuerySet:
        return self.filter(expiry__isnull=False, expiry__lte=now or timezone.now())


class Backup(models.Model):
    """One backup archive (the reference's backup record)."""

    id = models.CharField(primary_key=True, max_length=25, default=new_install_id,
                          editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="backups")
    # The install it came from: the id string survives the install, the link does not.
    install = models.ForeignKey("installs.Install", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="backups")
    install_ref = models.CharField(max_length=32, blank=True, default="")
    website = models.ForeignKey(Website, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    # The archive, relative to settings.BACKUP_DIR ("<user>/<id>.tar.zst", or .tar.gz).
    file = models.CharField(max_length=255)
    installer = models.CharField(max_length=64)
    version = models.CharField(max_length=32, blank=True, default="")
    language = models.CharField(max_length=16, blank=True, default="en")
    time = models.DateTimeField(null=True, blank=True)  # when the install was made
    # Relative to the website's path, as Install.path.
    path = models.CharField(max_length=1024, blank=True, default="")
    url = models.CharField(max_length=2048, blank=True, default="")
    url_domain = models.CharField(max_length=255, blank=True, default="")
    db_host = models.CharField(max_length=255, blank=True, default="")
    db_type = models.CharField(max_length=16, blank=True, default="mysql")
    db_name = models.CharField(max_length=128, blank=True, default="")
    db_user = models.CharField(max_length=128, blank=True, default="")
    db_pass = EncryptedTextField(blank=True, default="")
    db_prefix = models.CharField(max_length=64, blank=True, default="")
    title = models.CharField(max_length=255, blank=True, default="")
    list_files = models.JSONField(default=list, blank=True)
    list_tables = models.JSONField(default=list, blank=True)
    backup_location = models.CharField(max_length=16, default="local")
    # Where the remote copy went (a BackupLocation's URI when it was made): restores and
    # deletes use it even after the install's location changed or the install is gone.
    location_uri = EncryptedTextField(blank=True, default="")
    backup_time = models.DateTimeField(default=timezone.now, db_index=True)
    backup_filename = models.CharField(max_length=255, blank=True, default="")
    size = models.BigIntegerField(default=0)
    checksum = models.CharField(max_length=64)
    expiry = models.DateTimeField(null=True, blank=True, db_index=True)
    imported = models.BooleanField(default=False)
    # The install's record members the backups API shows as they were at backup time
    # (agent, path-created, autoup, autobk, cf-*, version-*: record.kept_by_backups)
    # and backup-schedule (the autobk of an automatic backup, "" for one asked for).
    members = models.JSONField(default=dict, blank=True)

    objects = BackupQuerySet.as_manager()

    class Meta:
        ordering = ["-backup_time"]

    @property
    def app_name(self) -> str:
        return app_name(self.installer)

    def __str__(self) -> str:
        return f"backup {self.id} of {self.url}"

    @property
    def archive_path(self) -> Path:
        return Path(settings.BACKUP_DIR) / self.file

    def full_path(self) -> str:
        base = self.website.display_path if self.website_id else ""
        return f"{base.rstrip('/')}/{self.path}".rstrip("/") if base else self.path


class BackupLocation(models.Model):
    """A remote place a user's backups are copied to (the reference's ``bkloc`` URI,
    "associated with the user"): saved from the GUI, or remembered when the API names one."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE,
                                related_name="backup_locations")
    name = models.CharField(max_length=80)
    uri = EncryptedTextField()  # carries the FTP/SSH password: never shown, never logged
    created = models.DateTimeField(default=timezone.now)
    # Saved by the form, tested by a worker: unusable until its test passed.
    pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["account", "name"],
                                               name="backup_location_name_per_account")]

    def __str__(self) -> str:
        return self.name

    def display(self) -> str:
        from apps.accounts.validation import mask_path

        return mask_path(self.uri)

    @property
    def scheme(self) -> str:
        return self.uri.split("://", 1)[0].lower()
    @property
    def verified(self) -> bool:
        return not self.pending


class OwnerSshKey(models.Model):
    """A website owner's own SSH key pair for their sftp:// and ssh:// backup locations
    without a password: the owner authorizes the public half at their server. This
    server's key (``SSH_KEY_FILE``) is never used for an owner's address."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="ssh_key")
    private_key = EncryptedTextField()  # OpenSSH PEM: never shown, never logged
    public_key = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"SSH key of {self.account_id}"
