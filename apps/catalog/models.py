"""The package store (one archive per application version) and application sets."""

from __future__ import annotations

from datetime import datetime, time
from datetime import timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from installatron_gui.lib.versions import version_key


class PackageQuerySet(models.QuerySet):
    def of(self, application: str) -> PackageQuerySet:
        return self.filter(application=application)

    def ordered(self) -> list[Package]:
        """Oldest to newest by version number (6.1.10 after 6.1.9), not by string."""
        return sorted(self, key=lambda p: version_key(p.version))


class Package(models.Model):
    """One application version kept as a ``.tar.gz`` in ``settings.PACKAGE_STORE``.

    The archive holds the application's files at its root (``index.php``, ``wp-admin/``,
    ...), with no wrapping folder, and only regular files and directories.
    """

    application = models.CharField(max_length=64, db_index=True)
    version = models.CharField(max_length=32)
    # Installatron's "branch" member ("current", "lts", ...).
    branch = models.CharField(max_length=32, default="current")
    released = models.DateField(null=True, blank=True)
    # File name inside PACKAGE_STORE, never a path.
    archive = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    created = models.DateTimeField(default=timezone.now)
    # The language codes whose files the archive holds (the recipe's package_languages,
    # read when it was added); None: not known, every language of the manifest.
    languages = models.JSONField(null=True, blank=True, default=None)

    objects = PackageQuerySet.as_manager()

    class Meta:
        ordering = ["application", "created"]
        constraints = [
            models.UniqueConstraint(fields=["application", "version"],
                                    name="package_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.version}"

    def has_language(self, code: str) -> bool:
        """Whether an install of this archive can be in language ``code``."""
        return self.languages is None or code in self.languages

    @property
    def key(self) -> str:
        """The browser API's release id, ``<application>_<version>``."""
        return f"{self.application}_{self.version}"

    @property
    def path(self) -> Path:
        return Path(settings.PACKAGE_STORE) / self.archive

    @property
    def timestamp(self) -> int | None:
        """The release date as a UNIX time stamp (midnight UTC), for API v2's ``time``."""
        if self.released is None:
            return None
        return int(datetime.combine(self.released, time(0), tzinfo=dt_timezone.utc).timestamp())


class AppSet(models.Model):
    """An Installatron "package": the applications an account may see and install.

    A set belongs to the administrator (``owner`` empty: offered to every account) or to
    a reseller (offered to the accounts below it, and only with applications the reseller
    may offer itself). An account's ``package`` names one of the sets offered to it, the
    nearest owner's first; an empty ``package`` leaves every application available.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.CASCADE, related_name="app_sets")
    name = models.CharField(max_length=64)
    applications = models.JSONField(default=list)
    description = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"],
                                               name="app_set_name_per_owner")]

    def __str__(self) -> str:
        return self.name

    def allows(self, application: str) -> bool:
        return application in (self.applications or [])


class AddonPackageQuerySet(models.QuerySet):
    def of(self, kind: str, slug: str) -> AddonPackageQuerySet:
        return self.filter(kind=kind, slug=slug)

    def ordered(self) -> list[AddonPackage]:
        return sorted(self, key=lambda p: version_key(p.version))

    def newest(self) -> AddonPackage | None:
        found = self.ordered()
        return found[-1] if found else None


class AddonPackage(models.Model):
    """One version of an application's add-on (a plugin or theme), a ``.tar.gz`` in ``settings.PACKAGE_STORE``.

    The archive holds the add-on folder's contents at its root (``akismet.php``,
    ``_inc/``, ...; ``style.css`` for a theme): it unpacks into
    ``wp-content/plugins/<slug>`` or ``wp-content/themes/<slug>``.
    """

    # Installatron's own kind names and labels (data, kept as the reference spells them).
    class Kind(models.TextChoices):
        PLUGIN = "wp-plugin", "WordPress plugin"
        THEME = "wp-theme", "WordPress theme"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The folder name in wp-content/plugins or wp-content/themes.
    slug = models.CharField(max_length=100)
    version = models.CharField(max_length=32)
    name = models.CharField(max_length=255, blank=True, default="")
    # A plugin's main file inside its folder (akismet.php); "" for a theme (style.css).
    main = models.CharField(max_length=100, blank=True, default="")
    archive = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    created = models.DateTimeField(default=timezone.now)

    objects = AddonPackageQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "slug", "created"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "slug", "version"],
                                    name="addon_package_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.slug} {self.version}"

    @property
    def addon_id(self) -> str:
        """The application's id of the add-on: a plugin's main file (``akismet/akismet.php``)
        or the theme folder."""
        return f"{self.slug}/{self.main}" if self.kind == self.Kind.PLUGIN else self.slug

    @property
    def path(self) -> Path:
        return Path(settings.PACKAGE_STORE) / self.archive


class ApplicationSetting(models.Model):
    """What the administrator decided about one application (the console's Applications):
    switched off, it disappears from every browser and new installs of it are refused;
    ``default_version`` is what an install that names no version gets ("": the newest)."""

    application = models.CharField(max_length=64, unique=True)
    enabled = models.BooleanField(default=True)
    default_version = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["application"]

    def __str__(self) -> str:
        return self.application
