"""The recipe contract: what the engine may ask of an application, and the loader.

A recipe folder ``apps/recipes/<id>/`` holds ``manifest.json`` (what the browser API
and the GUI show: names, requirements, fields, languages, links) and optionally
``recipe.py`` with a ``Recipe`` subclass that carries the application's own logic.

Every hook the engine calls is declared on ``Recipe`` below, with what it receives, what
it must do and when it is called. A subclass overrides only the hooks its application
needs; ``recipe.supports(capability)`` tells the engine which ones it did (the engine never
probes with ``hasattr``). A hook that is called although it is not supported raises
``UnsupportedError`` (errcode ``unsupported_<capability>``), a sentence a customer can act
on. See ``CAPABILITIES`` for the capability names.

The ``app`` a hook receives is an ``AppContext`` (``apps.installs.services``): where the
install is (``transport``, ``target``, ``path(name)``, ``url``, ``url_ip``), its database
(``db_host``, ``db_name``, ``db_user``, ``db_pass``, ``db_prefix``, ``connect()``), its
language (``language``, ``locale``), ``content`` (``yes``/``no``: sample content or not) and
``fields``: the values of the manifest's typed fields by name (``fields.py``; for example
``login``, ``passwd``, ``email``, ``sitetitle``, a wiki's ``acl_policy``).
Secrets (``passwd``, generated values) are only there at install time.

A recipe imports this module, ``installatron_gui.lib`` and the standard library, never
the engine's apps: what it needs from them is re-exported here (``InstallError``,
``TransportError``, ``Step``, ``opcache_settle``, ``http_request``, ``Found``,
``read_text_file``, ``compare_versions``, ``SiteAccess``, ``Addons``, ``BuiltPackage``,
``CatalogError``).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import posixpath
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from apps.transports.base import TransportError
from installatron_gui.lib.errors import InstallError
from installatron_gui.lib.http import http_request
from installatron_gui.lib.steps import Step, opcache_settle, run_steps

from .errors import CatalogError
from installatron_gui.lib.versions import compare as compare_versions
from .fields import spec_problems

__all__ = ["CAPABILITIES", "Found", "InstallError", "Recipe", "Step", "TransportError",
           "UnsupportedError", "all_recipes", "get_recipe", "http_request", "opcache_settle",
           "read_text_file", "compare_versions", "SiteAccess", "Addons", "run_steps",
           "BuiltPackage", "CatalogError"]

RECIPES_DIR = Path(__file__).resolve().parent
# The dotted package of RECIPES_DIR, for importing ``<id>/recipe.py``.
RECIPES_PACKAGE = __package__
APP_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
# A configuration file larger than this is not one (import reads them whole).
MAX_CONFIG = 1024 * 1024
# link_* members of the browser API, in the reference document's order.
LINK_NAMES = ("site", "demo", "showcase", "docs", "faq", "support", "changelog")

# capability -> (the hook whose override declares it, what a customer reads when an
# application lacks it). Hooks not named here have defaults every application can use.
CAPABILITIES: dict[str, tuple[str, str]] = {
    "install": ("write_config", "{name} cannot be installed here yet; choose another "
                "application."),
    "repoint": ("repoint", "{name} cannot be moved to another address or database here "
                "(clone, restore to a new location, migrate, push or a database change); "
                "copy it by hand."),
    "read_version": ("read_version", "The version of {name} cannot be read from its files."),
    "read_settings": ("read_settings", "{name}'s settings cannot be read here."),
    "apply_settings": ("apply_settings", "{name}'s own settings cannot be changed here; "
                       "change them in its administration pages."),
    "list_addons": ("list_addons", "{name} has no plugins or themes to list here."),
    "addons": ("addons", "{name} has no plugins or themes to manage here."),
    "sso": ("sso_file", "{name} does not support signing in from here; use its own login "
            "page."),
    "update": ("update_steps", "{name} cannot be updated automatically; update it in its "
               "administration pages."),
    "detect": ("detect_install", "{name} cannot be imported yet; install it anew and copy "
               "your content into it."),
    "build_package": ("build_package", "There is no package builder for {name}; add its "
                      "package archive by hand."),
}


class UnsupportedError(InstallError):
    """The application does not do this (``unsupported_<capability>``, HTTP 501)."""

    status = 501

    def __init__(self, recipe: Recipe, capability: str):
        _hook, text = CAPABILITIES[capability]
        super().__init__(text.format(name=recipe.name), errcode=f"unsupported_{capability}")
        self.capability = capability


@dataclass
class Found:
    """What ``detect_install`` read from an installed application's files (import)."""

    version: str
    db_host: str
    db_name: str
    db_user: str
    db_pass: str = field(repr=False)
    db_prefix: str
    config: str  # the configuration file (relative to the application folder)


def read_text_file(transport, rel: str, *, limit: int = MAX_CONFIG) -> str:
    """A small text file of a site (a configuration or version file, for
    ``detect_install``): ``""`` when it is missing; refused (``invalid_argument_url``)
    when it is larger than ``limit``."""
    try:
        if transport.size(rel) > limit:
            raise InstallError(f"{rel.rpartition('/')[2]} is too large to be a configuration "
                               "file.", errcode="invalid_argument_url", field="url")
        return transport.read(rel).decode("utf-8", "replace")
    except TransportError as exc:
        if exc.errcode == "failed_filesystem_missing":
            return ""
        raise


@dataclass
class BuiltPackage:
    """One archive ``build_package`` made: the application (``kind`` empty) or one of
    its add-ons (``kind``: the package store's kind, with ``slug``, ``name``, ``main``)."""

    path: Path
    version: str
    kind: str = ""
    slug: str = ""
    name: str = ""
    main: str = ""  # a plugin's main file
    summary: str = ""  # what the command prints (files, language files)


@dataclass
class SiteAccess:
    """One installed site as an add-on manager (the ``addons`` hook) reaches it. The
    engine builds it for one operation, inside its fence (the install is locked and not
    busy), and closes the transport afterwards."""

    transport: object  # the website's transport (read, write, listdir, put_tree, ...)
    folder: str  # the install's folder in the website, "" for its root
    url: str
    url_ip: str  # dial this IP for ``url`` when set
    db_prefix: str
    connect: Callable[[], object]  # a new DB-API connection to the install's database
    # The package store's newest add-on archive of (store kind, slug), or None. It has
    # ``slug``, ``version``, ``path`` (the .tar.gz), ``archive``, ``main``, ``addon_id``.
    newest_package: Callable[[str, str], object | None]
    # Raises InstallError if a stored add-on archive is not the one that was added.
    verify_package: Callable[[object], None]
    label: str = ""  # names the install in log lines

    def path(self, *parts: str) -> str:
        """A path below the install's folder."""
        return posixpath.join(self.folder, *parts) if self.folder else posixpath.join(*parts)


class Addons:
    """What the ``addons`` hook returns: one site's plugins and themes (or whatever an
    application calls its extensions), for one operation. Every method raises
    ``InstallError`` for what the customer can fix (errcode ``invalid_argument_<kind>``)."""

    #: The kinds the API and the GUI name (``plugin``, ``theme``) -> the package store's
    #: kind of their archives (``AddonPackage.kind``).
    kinds: dict[str, str] = {}

    def items(self, kind: str) -> list:
        """The installed add-ons of ``kind``, ordered for display. Each has ``kind``,
        ``id``, ``folder``, ``name``, ``version``, ``active``, ``autoup``, ``update`` (the
        store's newer package or None), ``dom_id`` and ``as_api()``."""
        raise NotImplementedError

    def apply(self, kind: str, action: str, addon_id: str):
        """One action of the GUI: ``install``, ``activate``, ``deactivate``, ``autoup``,
        ``noautoup``, ``update`` or ``uninstall``; the add-on afterwards (None once
        uninstalled). A change that breaks the site is undone."""
        raise NotImplementedError

    def edit(self, params: dict) -> dict:
        """The edit API's add-on parameters (v1 names, and the v2 routes' ``__v2_addon``);
        the reply data in v1 member names (``list-plugins``, ``list-themes``)."""
        raise NotImplementedError

    def listing(self) -> dict:
        """The view API's add-on members (v1 names) with ``active``, ``autoup``, ``_ud``."""
        raise NotImplementedError

    def update(self, specs: dict[str, str], *, report=None) -> dict:
        """The update API: ``specs`` maps a kind to ``*`` or a comma-separated list of ids;
        each named add-on with a newer stored archive is updated on its own. Returns
        ``{"updated": [...], "failed": {id: message}}``."""
        raise NotImplementedError


class Recipe:
    """One application as its manifest describes it.

    Subclasses (``recipes/<id>/recipe.py``) add the install logic; the constructor stays
    ``Recipe(manifest, folder)`` so the loader can build any of them the same way.
    """

    def __init__(self, manifest: dict, folder: Path):
        self.manifest = manifest
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"

    # What the browser API lists.
    @property
    def id(self) -> str:
        return self.manifest["id"]

    @property
    def name(self) -> str:
        return self.manifest.get("name", self.id)

    @property
    def category(self) -> str:
        return self.manifest.get("category", "")

    @property
    def type(self) -> str:
        return self.manifest.get("type", "")

    @property
    def license(self) -> str:
        return self.manifest.get("license", "open source")

    @property
    def description(self) -> str:
        return self.manifest.get("description", "")

    @property
    def authordescription(self) -> str:
        return self.manifest.get("authordescription", "")

    def texts(self, language: str = "") -> dict[str, str]:
        """``description`` and ``authordescription`` in an Installatron language code
        (the browser API's ``language``): the manifest's ``translations`` of that code
        (``{"de": {"description": ...}}``), English for what it does not translate."""
        own = self.manifest.get("translations", {}).get((language or "").lower(), {})
        return {"description": own.get("description") or self.description,
                "authordescription": own.get("authordescription") or self.authordescription}

    def tags(self, version: str) -> list[str]:
        """The browser API's ``tags`` of one release (``security``): the manifest's
        ``tags`` for that version, if any."""
        return list(self.manifest.get("tags", {}).get(version, []))

    @property
    def links(self) -> dict[str, str]:
        """site, docs, support, changelog, ... (the browser API's link_* members)."""
        links = self.manifest.get("links", {})
        return {name: links[name] for name in LINK_NAMES if links.get(name)}

    @property
    def link_admin(self) -> str:
        """The administration page, relative to the install's URL (``wp-admin``)."""
        return self.manifest.get("link_admin", "")

    @property
    def requirements(self) -> dict[str, str]:
        """php, mysql (minimums with Installatron's trailing ``-``), diskspace, table prefix."""
        return dict(self.manifest.get("requirements", {}))

    @property
    def needs_database(self) -> bool:
        return "mysql" in self.requirements

    @property
    def supports_table_prefix(self) -> bool:
        return "mysql_table_prefix" in self.requirements

    @property
    def table_prefix(self) -> str:
        return self.requirements.get("mysql_table_prefix", "")

    @property
    def tables(self) -> list[str]:
        """The tables every install of the application makes, without the table prefix
        (for example ``options``, ``posts``, ...). A longer prefix under which all of them
        exist is another install sharing the database (``app_b_`` beside ``app_``)."""
        return list(self.manifest.get("tables", []))

    @property
    def languages(self) -> list[str]:
        """Installatron language codes (``en``, ``de``, ``pt_br``), always including ``en``."""
        return list(self.manifest.get("languages", ["en"]))

    @property
    def locales(self) -> dict[str, str]:
        """Installatron language code -> the application's own locale (``de`` -> ``de_DE``)."""
        return dict(self.manifest.get("locales", {}))

    def locale_for(self, language: str) -> str:
        """The application's locale for a language code; ``""`` means its default (English)."""
        return self.locales.get(language, "")

    def package_languages(self, names: frozenset[str]) -> list[str] | None:
        """Package build and store: the language codes a package archive holds the files
        of, given every member name of the archive (checked, relative, no leading ``./``).
        Called once when the archive is added to the store; recorded on its Package row,
        so the install form offers and the install accepts only those. ``None`` (the
        default): the archive holds every language of the manifest."""
        return None

    @property
    def fields(self) -> dict[str, dict]:
        """Install fields ordered by ``sort_order``; ``language`` gets its options here."""
        fields = {}
        items = sorted(self.manifest.get("fields", {}).items(),
                       key=lambda item: item[1].get("sort_order", 0))
        for name, spec in items:
            spec = dict(spec)
            if name == "language" and "options" not in spec:
                names = self.manifest.get("language_names", {})
                spec["options"] = {code: names.get(code, code) for code in self.languages}
            fields[name] = spec
        return fields

    @property
    def images(self) -> list[str]:
        return list(self.manifest.get("images", []))

    @property
    def screenshots(self) -> list[str]:
        """Static paths of the manifest's screenshots (its ``images`` other than the icon,
        PNG or JPEG files in the recipe's ``static/``)."""
        icon = self.manifest.get("icon", "")
        return [f"catalog/{self.id}/{name}" for name in self.images
                if name != icon and name.lower().endswith((".png", ".jpg", ".jpeg"))]

    @property
    def icon(self) -> str:
        """Static path of the icon (``catalog/<id>/icon.svg``); empty if there is none."""
        icon = self.manifest.get("icon", "")
        return f"catalog/{self.id}/{icon}" if icon else ""

    @property
    def changelogs(self) -> dict[str, str]:
        return dict(self.manifest.get("changelogs", {}))

    def changelog(self, version: str) -> str:
        return self.changelogs.get(version, "")

    @property
    def archive_marker(self) -> str:
        """A file every package archive of this application has at its root."""
        return self.manifest.get("package", {}).get("marker", "")

    @property
    def branch_depth(self) -> int:
        """How many leading version parts name a branch (6.1 for 6.1.9): minor vs major."""
        return int(self.manifest.get("package", {}).get("branch_depth", 2))

    @property
    def upgradable(self) -> bool:
        """False when upgrades must be done by hand (the browser API's ``manual``)."""
        return bool(self.manifest.get("upgradable", True))


    # ------------------------------------------------------------------ the contract

    def supports(self, capability: str) -> bool:
        """Whether this application implements ``capability`` (a key of ``CAPABILITIES``):
        its class overrides the hook that declares it. An unknown name is a bug."""
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown recipe capability {capability!r}")
        hook = CAPABILITIES[capability][0]
        return getattr(type(self), hook) is not getattr(Recipe, hook)

    def _unsupported(self, capability: str) -> UnsupportedError:
        return UnsupportedError(self, capability)

    #: Files the recipe writes that are not in the package archive (``wp-config.php``).
    #: They are part of the install's list-files, kept by a push, checked before an
    #: install (the target must not hold them) and looked for by import and the reaper.
    extra_files: tuple[str, ...] = ()

    # Install (check_install, then install_app in the worker).
    def check_fields(self, values: dict) -> None:
        """Called when an install or an edit is checked, after the engine's own checks,
        with the field values by name (``language``, ``content`` and the manifest's
        fields, already checked by their types; an edit gives only the fields it changes
        plus the current stored values, without secrets it does not change). Raise ``InstallError`` (errcode ``invalid_argument_<field>``, ``field=``) for a
        value the application would refuse. The default accepts everything."""

    def write_config(self, app) -> list[str]:
        """Install only, once, after the package's files are in place: write the
        application's configuration for a NEW site (database account and prefix, fresh
        secrets; an application may also create its admin account from
        ``app.fields["login"]`` and ``app.fields["passwd"]`` here). Return the names written (removed again on failure).
        Never called for a copy of a site: that is ``repoint``. Declares ``install``."""
        raise self._unsupported("install")

    def run_installer(self, app) -> None:
        """Install only, after ``write_config``: run the application's own installer (a
        web or CLI installer creating its tables and admin account). Tables it made are
        dropped if a later step fails. The default does nothing (the config is enough)."""

    def verify(self, app) -> None:
        """After install, edit and (through ``check_updated``) update: the site must
        answer at ``app.url`` (dialling ``app.url_ip`` if set). Raise ``InstallError``
        (``failed_install``) if not. The default wants an HTTP status below 400."""
        status, _, _ = http_request("GET", app.url.rstrip("/") + "/", ip=app.url_ip)
        if status >= 400:
            raise InstallError(f"The site at {app.url} answers HTTP {status}.",
                               errcode="failed_install", status=500)

    # Copies: clone, restore to a new location, migrate, push, restore in place, edit.
    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """Make a COPY of a site work at its new place, which ``app`` describes (URL,
        folder, database account, table prefix). Called by clone, restore-to, migrate and
        templates (files and tables copied: ``config`` and ``conn``, ``renew_secrets``);
        by restore in place and push after the tables were imported under the live prefix
        (``conn`` only: the live site's configuration is kept); by edit when the database
        settings change (``config`` only).

        With ``config``: point the application's configuration files (already in the
        copied files) at ``app``'s database and prefix; with ``renew_secrets`` also give
        them fresh secrets (salts), so sessions of the source do not carry over. With
        ``conn`` (a connection to ``app``'s database): rename whatever the application
        keeps in its tables under the table prefix, ``old_prefix`` -> ``app.db_prefix``.
        The engine itself replaces ``old_url`` by ``app.url`` in the tables.

        It must not touch the admin account or anything else the copy's owner set:
        ``app.fields`` has no secrets here. Return the configuration files changed.
        Declares ``repoint``."""
        raise self._unsupported("repoint")

    # View and sync (the reference's ``view``/``sync``), edit, templates.
    def read_version(self, transport, path) -> str | None:
        """Sync: the version the files say (``path(name)`` joins the install folder).
        Declares ``read_version``; the default knows nothing (None)."""
        return None

    def read_settings(self, conn, prefix: str, admin_login: str, *, app=None) -> dict:
        """Sync and edit: the settings the owner may have changed inside the application
        (field name -> value, e.g. ``sitetitle``, ``email``) read from its tables (``conn``,
        ``None`` for an application without a database) and from its files: ``app`` is an
        ``AppContext`` whose ``transport`` is open, for settings that live in the
        application's configuration file (a webmail's IMAP server). The engine stores
        those that are stored fields of the manifest. ``app`` is None only when a caller
        has no site at hand; return what the tables say then. Declares ``read_settings``;
        the default knows nothing ({})."""
        return {}

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict, *,
                       app=None) -> None:
        """Edit and install-from-template: write changed fields (field name -> value,
        ``passwd`` included when it changes, and ``locale``) into the application's
        tables (``conn``; ``None`` for an application without a database) for the admin
        ``admin_login``, and into its files through ``app`` (an ``AppContext`` whose
        ``transport`` is open): settings that live in the configuration file are
        rewritten there, each value escaped for the file's language (never a string
        pasted into PHP). The engine keeps the ``extra_files`` as they were and puts them
        back if a later step fails. A field of the manifest marked ``settable`` must
        reach the application here. Declares ``apply_settings``."""
        raise self._unsupported("apply_settings")

    def check_language(self, transport, path, locale: str) -> None:
        """Edit, before anything changes: refuse (``invalid_argument_language``) a
        ``locale`` the site cannot switch to. The default accepts every locale."""

    def list_addons(self, transport, path) -> dict:
        """Sync with ``addons``: extra members of the view (``list-plugins``,
        ``list-themes``) read from the files. Declares ``list_addons``."""
        return {}

    def addons(self, site: SiteAccess) -> Addons:
        """The edit, view and update APIs' plugin and theme parameters and the GUI's
        "Plugins & themes" page: the application's add-on manager (an ``Addons``) for
        ``site``. Only the engine's dispatcher (``apps.installs.addons``) calls it, after
        fencing the install. Declares ``addons``."""
        raise self._unsupported("addons")

    # The one-time admin sign-in (createadminsso).
    def sso_file(self, token: str, expires: int, login: str) -> bytes:
        """The contents of a one-time PHP file that signs ``login`` in when called with
        ``?t=<token>`` before the UNIX time ``expires``, then deletes itself. Declares
        ``sso``."""
        raise self._unsupported("sso")

    # Update (upgrade): a backup and a table dump come first, a rollback on failure.
    def update_steps(self, app, package_path: Path, state: dict) -> list[Step]:
        """The undoable steps that put ``package_path``'s version in place of the
        installed one (staging, swap, database upgrade). ``state`` is shared with
        ``update_cleanup``; set ``state["names"]`` to the top-level names the new version
        has. Declares ``update``."""
        raise self._unsupported("update")

    def check_updated(self, app, version: str) -> None:
        """After the update steps: the site runs ``version``. Raise ``InstallError`` to
        roll back. The default checks the site answers (``verify``)."""
        self.verify(app)

    def update_cleanup(self, app, state: dict) -> None:
        """After a successful update: remove what the steps left aside. Default: nothing."""

    # Import (adopt an install made elsewhere) and migrate.
    def detect_install(self, transport, folder: str) -> Found | None:
        """Import and migrate: read the application's files in ``folder`` and say what is
        installed there (a ``Found``), or None if it is not this application. Declares
        ``detect``."""
        raise self._unsupported("detect")

    def detect_settings(self, conn, prefix: str, *, app=None) -> dict:
        """Import and migrate, once the site is adopted: the field values the site already
        has (field name -> value, as ``read_settings`` gives them, plus ``login``, the
        administrator's account, when the application can tell who that is; ``locale``
        for its language). The engine stores those that are stored fields of the
        manifest, so ``cf-login``, ``cf-email``, ``cf-sitetitle`` are the site's own and
        ``createadminsso`` knows whom to sign in. ``app`` (its ``transport`` open) is
        always given, so a database application may read its configuration files too;
        ``conn`` is None for an application without a database. The default is
        ``read_settings`` with no administrator known (so no ``login``)."""
        return self.read_settings(conn, prefix, "", app=app)

    # Package building (``manage.py build_package APP``).
    def build_package(self, out_dir: Path, *, source: str | None = None,
                      languages: bool = False,
                      addons: list[tuple[str, str]] | None = None) -> list[BuiltPackage]:
        """Build package archives into ``out_dir`` from the application's sources
        (``source``: a folder or file, the recipe's default if None; ``languages``:
        include its translations). With ``addons`` build add-on archives instead:
        ``(kind, name)`` pairs, ``[]`` for the recipe's default set. Returns what was
        built; the command adds each to the package store. Raise ``CatalogError``
        (``invalid_argument_source``) for an unusable source. Declares
        ``build_package``."""
        raise self._unsupported("build_package")


    def adapt_release(self, tree: Path) -> None:
        """``build_package APP --from-archive``: turn the application's upstream release,
        unpacked into ``tree`` (its top folder dropped, every member checked), into the
        package's layout in place (the layout the Debian build makes). The default keeps
        the release as it is: most releases already are that layout. The package's
        marker must be at the root afterwards."""


def validate_manifest(manifest: dict, folder: Path) -> None:
    """Refuse a manifest that would break the browser API or the install form."""
    problems = []
    if manifest.get("id") != folder.name:
        problems.append(f"id must be the folder name '{folder.name}'")
    for key in ("name", "category", "description"):
        if not isinstance(manifest.get(key), str) or not manifest.get(key):
            problems.append(f"{key} is required")
    if "en" not in manifest.get("languages", ["en"]):
        problems.append("languages must include en")
    for name, spec in manifest.get("fields", {}).items():
        problems += spec_problems(name, spec)
    if problems:
        raise ValueError(f"recipe {folder.name}: " + "; ".join(problems))


def recipe_dirs() -> list[Path]:
    """Where recipe folders are looked for: this package's, then ``settings.RECIPE_DIRS``
    (folders of recipes kept outside the product, such as the tests' own application).
    An id found in an earlier folder wins."""
    from django.conf import settings

    return [RECIPES_DIR, *(Path(d) for d in getattr(settings, "RECIPE_DIRS", ()))]


@cache
def get_recipe(app_id: str) -> Recipe:
    """The recipe of ``app_id``: its ``recipe.py`` subclass if it has one, else the base."""
    if not isinstance(app_id, str) or not APP_ID_RE.match(app_id):
        raise CatalogError(f"There is no application '{str(app_id)[:64]}'.")
    folder = next((d / app_id for d in recipe_dirs() if (d / app_id / "manifest.json").is_file()),
                  None)
    if folder is None:
        raise CatalogError(f"There is no application '{app_id}'.")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    validate_manifest(manifest, folder)
    cls = Recipe
    if (folder / "recipe.py").is_file():
        cls = _recipe_class(_import_recipe_module(folder))
    return cls(manifest, folder)


def _import_recipe_module(folder: Path):
    """``<folder>/recipe.py`` as a module: a package import for this package's recipes
    (they may import their own sibling modules), a file import for RECIPE_DIRS ones (a
    single module that imports only this contract)."""
    if folder.parent == RECIPES_DIR:
        return importlib.import_module(f"{RECIPES_PACKAGE}.{folder.name}.recipe")
    name = f"{RECIPES_PACKAGE}._extra_{folder.name}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, folder / "recipe.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def app_name(app_id: str) -> str:
    """The application's name as its recipe spells it ("Tiny Tiny RSS"); the id itself for an
    application whose recipe is gone (an install or backup can outlive it)."""
    try:
        return get_recipe(app_id).name
    except CatalogError:
        return app_id


def _recipe_class(module) -> type[Recipe]:
    named = getattr(module, "Recipe", None)
    if isinstance(named, type) and issubclass(named, Recipe) and named is not Recipe:
        return named
    # Otherwise the one Recipe subclass the module defines, whatever its name.
    found = [obj for obj in vars(module).values()
             if isinstance(obj, type) and issubclass(obj, Recipe) and obj is not Recipe
             and obj.__module__ == module.__name__]
    if len(found) != 1:
        raise ImportError(f"{module.__name__} must define one Recipe subclass")
    return found[0]


def all_recipes() -> list[Recipe]:
    """Every application with a recipe folder, ordered by name."""
    ids = sorted({p.parent.name for d in recipe_dirs() for p in d.glob("*/manifest.json")})
    return sorted((get_recipe(i) for i in ids if APP_ID_RE.match(i)), key=lambda r: r.name.lower())
