"""The package store: adding, finding and checking application archives.

Store layout: ``settings.PACKAGE_STORE/<application>-<version>.tar.gz``, one row in
``Package`` each with the archive's sha256 and size. An archive holds the application's
files at its root (``index.php``, ``wp-admin/``, ...), no wrapping folder, and nothing but
regular files and directories: no links, devices, absolute paths or ``..``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import tarfile
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import models, transaction

from apps.accounts.models import Account
from apps.recipes import Recipe, all_recipes, get_recipe
from installatron_gui.lib import versions
from installatron_gui.lib.archives import member_name, member_problem, publish, sha256_of
from installatron_gui.lib.versions import version_key

from .errors import CatalogError
from .models import AddonPackage, ApplicationSetting, AppSet, Package

log = logging.getLogger(__name__)

# Debian-style snapshots (Tiny Tiny RSS: 21~git20210204.b4cbc79) use "~" too.
VERSION_RE = re.compile(r"^[0-9][0-9A-Za-z.+~_-]{0,31}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
BRANCH_RE = re.compile(r"^[a-z0-9_-]{1,32}$")
# Refuse archives that unpack to more than this (a gzip bomb stops here, not on a website).
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_MEMBERS = 200_000
MAX_DOWNLOAD_BYTES = 1024**3
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveInfo:
    files: int
    dirs: int
    unpacked_bytes: int
    names: frozenset[str] = frozenset()


def store_dir() -> Path:
    path = Path(settings.PACKAGE_STORE)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def check_archive(path: Path, *, marker: str = "") -> ArchiveInfo:
    """Refuse an archive that could write anything but plain files below its target.

    Every member must pass ``member_problem`` (a regular file or a folder with a safe
    relative name and no set-id bits); ``marker`` (e.g. ``wp-includes/version.php``) must be at the root, which also
    catches archives wrapped in a top-level folder.
    """
    files = dirs = unpacked = 0
    names: set[str] = set()
    try:
        with tarfile.open(path, "r:gz") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise CatalogError("The archive has too many members.",
                                       errcode="invalid_argument_archive")
                problem = member_problem(member)
                if problem:
                    raise CatalogError(
                        f"The archive member '{member.name[:120]!r}' {problem}; only files "
                        "and folders with relative names are allowed.",
                        errcode="invalid_argument_archive")
                name = member_name(member.name) or "."
                if member.isdir():
                    dirs += 1
                else:
                    files += 1
                    unpacked += member.size
                if unpacked > MAX_UNPACKED_BYTES:
                    raise CatalogError("The archive unpacks to more than 4 GiB.",
                                       errcode="invalid_argument_archive")
                names.add(name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise CatalogError(f"The file is not a readable .tar.gz archive ({type(exc).__name__}).",
                           errcode="invalid_argument_archive") from None
    if files == 0:
        raise CatalogError("The archive has no files.", errcode="invalid_argument_archive")
    if marker and marker not in names:
        raise CatalogError(
            f"The archive has no '{marker}' at its root; files must not be wrapped in a folder.",
            errcode="invalid_argument_archive")
    return ArchiveInfo(files=files, dirs=dirs, unpacked_bytes=unpacked, names=frozenset(names))


def check_version(version: str) -> str:
    if not isinstance(version, str) or not VERSION_RE.match(version):
        raise CatalogError("The version must look like 6.1.9.", errcode="invalid_argument_version")
    return version


def add_package(application: str, version: str, archive: Path, *, branch: str = "current",
                released: date | None = None, sha256: str | None = None) -> Package:
    """Check ``archive`` and copy it into the store as ``application``'s ``version``.

    The copy is made first and checked (so the file cannot change between check and use),
    under a temporary name that is renamed only once the checksum (``sha256`` if given) and
    the member checks pass. Nothing is left in the store when anything fails.
    """
    recipe = get_recipe(application)
    check_version(version)
    if not BRANCH_RE.match(branch):
        raise CatalogError("The branch must be a short lowercase name.",
                           errcode="invalid_argument_branch")
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not SHA256_RE.match(sha256):
            raise CatalogError("The sha256 must be 64 hex digits.", errcode="invalid_argument_sha256")
    if Package.objects.of(application).filter(version=version).exists():
        raise CatalogError(f"{recipe.name} {version} is already in the store.",
                           errcode="invalid_argument_version")
    package = _copy_into_store(
        Path(archive), f"{application}-{version}.tar.gz", marker=recipe.archive_marker,
        sha256=sha256, create=lambda info, **row: Package.objects.create(
            application=application, version=version, branch=branch, released=released,
            languages=recipe.package_languages(info.names), **row))
    log.info("added %s %s to the package store (%s)", application, version, package.sha256)
    return package


def _copy_into_store(archive: Path, final_name: str, *, marker: str, sha256: str | None,
                     create):
    """Copy, check and rename ``archive`` into the store; ``create(info, archive=,
    sha256=, size=)`` makes the row (``info``: the checked copy's ArchiveInfo), in the
    same transaction as the rename."""
    if not archive.is_file():
        raise CatalogError(f"There is no file {archive}.", errcode="invalid_argument_archive")
    store = store_dir()
    temp = store / f".{final_name}.{secrets.token_hex(6)}.part"
    try:
        digest = hashlib.sha256()
        with open(archive, "rb") as src, open(temp, "xb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256:
            raise CatalogError("The archive's sha256 does not match the one given.",
                               errcode="invalid_argument_sha256")
        info = check_archive(temp, marker=marker)
        os.chmod(temp, 0o600)
        with transaction.atomic():
            row = create(info, archive=final_name, sha256=actual, size=temp.stat().st_size)
            publish(temp, store / final_name)
    finally:
        temp.unlink(missing_ok=True)
    return row


def download_package(application: str, version: str, url: str, *, sha256: str,
                     branch: str = "current", released: date | None = None) -> Package:
    """Fetch an archive over http(s) and add it; the checksum is required, not optional."""
    if not url.startswith(("https://", "http://")):
        raise CatalogError("Only http:// and https:// URLs can be downloaded.",
                           errcode="invalid_argument_url")
    if not isinstance(sha256, str) or not SHA256_RE.match(sha256.strip().lower()):
        raise CatalogError("A download needs the archive's sha256.", errcode="invalid_argument_sha256")
    store = store_dir()
    temp = store / f".download-{secrets.token_hex(6)}.part"
    try:
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(temp, "xb") as dst:  # noqa: S310 (http(s) only, checked above)
                received = 0
                while chunk := response.read(CHUNK):
                    received += len(chunk)
                    if received > MAX_DOWNLOAD_BYTES:
                        raise CatalogError("The download is larger than 1 GiB.",
                                           errcode="invalid_argument_url")
                    dst.write(chunk)
        except OSError as exc:
            # The URL may carry credentials: name only the error's kind.
            raise CatalogError(f"The download failed ({type(exc).__name__}).",
                               errcode="failed_download", status=502) from None
        return add_package(application, version, temp, branch=branch, released=released,
                           sha256=sha256)
    finally:
        temp.unlink(missing_ok=True)


def verify_package(package: Package) -> None:
    """Raise unless the stored archive exists and still has its recorded sha256."""
    if not package.path.is_file():
        raise CatalogError(f"The archive of {package} is missing from the store.",
                           errcode="failed_package_missing", status=500)
    if sha256_of(package.path) != package.sha256:
        log.error("package %s: sha256 mismatch in %s", package, package.path)
        raise CatalogError(f"The archive of {package} is damaged (checksum mismatch).",
                           errcode="failed_package_checksum", status=500)


def remove_package(package: Package) -> None:
    """Drop a version from the store: the row, then the file."""
    path = package.path
    package.delete()
    path.unlink(missing_ok=True)


def versions_of(application: str) -> list[Package]:
    """The stored versions of an application, oldest first."""
    return Package.objects.of(application).ordered()


def package_for(application: str, version: str | None = None) -> Package:
    """The stored package of ``version``, or the newest one when ``version`` is None."""
    recipe = get_recipe(application)
    stored = versions_of(application)
    if not stored:
        raise CatalogError(f"No version of {recipe.name} is in the package store.",
                           errcode="invalid_argument_application")
    if version in (None, "", "latest"):
        return stored[-1]
    for package in stored:
        if versions.compare(package.version, str(version)) == 0:
            return package
    raise CatalogError(f"Version {str(version)[:32]} of {recipe.name} is not available.",
                       errcode="invalid_argument_version")


def _resellers_from(node: Account | None) -> list[Account]:
    """``node`` and the resellers above it, nearest first (the administrator left out)."""
    found = []
    while node is not None and not node.is_admin and len(found) < 32:
        found.append(node)
        node = node.owner
    return found


def offered_app_sets(account: Account | None, *, owner: Account | None = None
                     ) -> dict[str, AppSet]:
    """The sets an account's ``package`` may name, by name: its resellers' own sets (the
    nearest reseller's first) and the administrator's. A set of the same name further up
    is hidden by the nearer one. ``owner`` instead of ``account``: for a new account that
    ``owner`` will own."""
    owners = _resellers_from(owner if account is None else account.owner)
    rank = {reseller.pk: index for index, reseller in enumerate(owners)}
    found: dict[str, AppSet] = {}
    sets = AppSet.objects.filter(models.Q(owner__isnull=True) | models.Q(owner__in=owners))
    for app_set in sorted(sets, key=lambda s: rank.get(s.owner_id, len(owners))):
        found.setdefault(app_set.name, app_set)
    return dict(sorted(found.items()))


def package_choices(owner: Account | None) -> list[tuple[str, str]]:
    """The packages an account of ``owner`` may be given, for a form's list."""
    names = {r.id: r.name for r in all_recipes()}
    return [(name, f"{name} ({', '.join(names.get(a, a) for a in s.applications)})")
            for name, s in offered_app_sets(None, owner=owner).items()]


def app_set_for(account: Account | None) -> AppSet | None:
    """The AppSet an account's ``package`` names, if any."""
    if account is None or not account.package:
        return None
    return offered_app_sets(account).get(account.package)


def allowed_ids(account: Account | None) -> set[str] | None:
    """The application ids ``account`` may use and offer by its own package and those of
    the resellers above it (None: no limit)."""
    allowed = None
    node, depth = account, 0
    while node is not None and not node.is_admin and depth < 32:
        app_set = app_set_for(node)
        if app_set is not None:
            ids = set(app_set.applications or [])
            allowed = ids if allowed is None else allowed & ids
        node, depth = node.owner, depth + 1
    return allowed


def check_package(account: Account, package: str) -> None:
    """Refuse (``invalid_argument_package``) a package no set offered to ``account`` has."""
    if package and package not in offered_app_sets(account):
        raise CatalogError(f"There is no package '{package[:64]}' for this account.",
                           errcode="invalid_argument_package")


def disabled_applications() -> set[str]:
    """Applications the administrator switched off in the console."""
    return set(ApplicationSetting.objects.filter(enabled=False)
               .values_list("application", flat=True))


def applications_for(account: Account | None) -> list[Recipe]:
    """Applications with at least one stored package that ``account`` may see and install
    (switched on by the administrator, in the account's application set if it has one)."""
    stored = set(Package.objects.values_list("application", flat=True).distinct())
    stored -= disabled_applications()
    allowed = allowed_ids(account)
    return [r for r in all_recipes()
            if r.id in stored and (allowed is None or r.id in allowed)]


def default_version(application: str) -> str | None:
    """The version an install that names none gets: the console's default when it is still
    in the store, else None (the newest)."""
    chosen = (ApplicationSetting.objects.filter(application=application)
              .values_list("default_version", flat=True).first())
    if chosen and Package.objects.of(application).filter(version=chosen).exists():
        return chosen
    return None


def save_application_setting(application: str, *, enabled: bool,
                             default_version: str = "") -> ApplicationSetting:
    """Switch an application on or off and set its default version ("" for the newest)."""
    recipe = get_recipe(application)  # an unknown id is a CatalogError
    if default_version and not Package.objects.of(recipe.id).filter(
            version=default_version).exists():
        raise CatalogError(f"Version {default_version[:32]} of {recipe.name} is not in the "
                           "package store.", errcode="invalid_argument_version")
    found, _ = ApplicationSetting.objects.update_or_create(
        application=recipe.id, defaults={"enabled": enabled, "default_version": default_version})
    return found


def can_use(account: Account | None, application: str) -> bool:
    return any(r.id == application for r in applications_for(account))


def upgrade_from(package: Package, from_version: str) -> str:
    """Whether an install at ``from_version`` can update to ``package``: none/manual/minor/major."""
    recipe = get_recipe(package.application)
    return versions.upgrade_kind(from_version, package.version, depth=recipe.branch_depth,
                                 upgradable=recipe.upgradable)


def versions_available_from(application: str, from_version: str,
                            packages: list[Package] | None = None) -> dict[str, list[str]]:
    """The versions an install at ``from_version`` can update to, all and same-branch only.
    ``packages``: the application's stored versions if the caller has them already."""
    get_recipe(application)
    found: list[str] = []
    minor: list[str] = []
    for package in versions_of(application) if packages is None else packages:
        kind = upgrade_from(package, from_version)
        if kind in {"minor", "major"}:
            found.append(package.version)
        if kind == "minor":
            minor.append(package.version)
    return {"versions-available": found, "versions-available-minor": minor}


def packages_by_application(applications) -> dict[str, list[Package]]:
    """The stored versions of each of ``applications``, oldest first, in one query (for
    lists: versions_available_from takes one application's list as ``packages``)."""
    stored: dict[str, list[Package]] = {}
    for package in Package.objects.filter(application__in=set(applications)):
        stored.setdefault(package.application, []).append(package)
    return {app: sorted(found, key=lambda p: version_key(p.version))
            for app, found in stored.items()}


def updates_for(installs) -> dict[str, str]:
    """The newest version each of ``installs`` can update to (install id to version; installs
    with none left out), with one query for the whole list, however long."""
    installs = list(installs)
    stored = packages_by_application({i.installer for i in installs})
    newest = {}
    for install in installs:
        packages = stored.get(install.installer, [])
        if not packages or not install.version:
            continue
        found = versions_available_from(install.installer, install.version, packages)
        if found["versions-available"]:
            newest[install.pk] = found["versions-available"][-1]
    return newest


def release_kind(package: Package) -> str:
    """``minor`` for a point release in its branch, ``major`` for a new branch."""
    return versions.release_kind(package.version, depth=get_recipe(package.application).branch_depth)



# --------------------------------------------------------------------------- add-ons
ADDON_SLUG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")
ADDON_MAIN_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,95}\.php$")


def add_addon_package(kind: str, slug: str, version: str, archive: Path, *, main: str = "",
                      name: str = "", sha256: str | None = None) -> AddonPackage:
    """Check an application's add-on archive (a plugin or theme) and copy it into the store.

    The archive holds the add-on folder's contents at its root: a plugin's ``main`` file
    (``akismet.php``) or a theme's ``style.css`` must be there. Same checks as
    ``add_package`` (regular files and folders only, no ``..``, checksum).
    """
    if kind not in AddonPackage.Kind.values:
        raise CatalogError("The kind must be wp-plugin or wp-theme.",
                           errcode="invalid_argument_kind")
    if not isinstance(slug, str) or not ADDON_SLUG_RE.match(slug) or ".." in slug:
        raise CatalogError("The add-on folder name may have letters, digits and . _ - only.",
                           errcode="invalid_argument_slug")
    check_version(version)
    if kind == AddonPackage.Kind.PLUGIN:
        if not ADDON_MAIN_RE.match(main or ""):
            raise CatalogError("A plugin needs its main .php file name.",
                               errcode="invalid_argument_main")
        marker = main
    else:
        main, marker = "", "style.css"
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not SHA256_RE.match(sha256):
            raise CatalogError("The sha256 must be 64 hex digits.", errcode="invalid_argument_sha256")
    if AddonPackage.objects.of(kind, slug).filter(version=version).exists():
        raise CatalogError(f"{slug} {version} is already in the store.",
                           errcode="invalid_argument_version")
    package = _copy_into_store(
        Path(archive), f"{kind}-{slug}-{version}.tar.gz", marker=marker, sha256=sha256,
        create=lambda _info, **row: AddonPackage.objects.create(
            kind=kind, slug=slug, version=version, main=main, name=name[:255], **row))
    log.info("added %s %s %s to the package store (%s)", kind, slug, version, package.sha256)
    return package


APP_SET_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def save_app_set(name: str, applications: list[str], *, description: str = "",
                 owner: Account | None = None) -> AppSet:
    """Create or replace the application set ``name`` (an account's ``package``) of
    ``owner``: a reseller, or None for the administrator. A reseller's set holds only
    applications the reseller may offer itself."""
    if not APP_SET_NAME.match(name or ""):
        raise CatalogError("A package name is letters, digits, '_', '.' and '-' (at most 64).",
                           errcode="invalid_argument_package")
    if not applications:
        raise CatalogError("A package lists at least one application.",
                           errcode="invalid_argument_package")
    ids = sorted({get_recipe(app).id for app in applications})  # unknown: a CatalogError
    owner = None if owner is None or owner.is_admin else owner
    allowed = allowed_ids(owner) if owner is not None else None
    if allowed is not None and set(ids) - allowed:
        outside = ", ".join(sorted(set(ids) - allowed))
        raise CatalogError(f"Your own package does not include {outside}.",
                           errcode="invalid_argument_package")
    app_set, _ = AppSet.objects.update_or_create(
        owner=owner, name=name, defaults={"applications": ids,
                                          "description": description[:255]})
    return app_set


def delete_app_set(name: str, *, owner: Account | None = None) -> bool:
    """Remove a set: accounts whose package names it see every application again."""
    owner = None if owner is None or owner.is_admin else owner
    return AppSet.objects.filter(owner=owner, name=name).delete()[0] > 0
