"""WordPress plugins and themes of an install: list, activate, auto-update, install,
update and uninstall them, through the website's transport and the site's own database.

What WordPress knows is read where WordPress keeps it: the headers of
``wp-content/plugins/*/*.php`` and ``wp-content/themes/*/style.css`` (as
``get_file_data`` reads them) and the options ``active_plugins``, ``template``,
``stylesheet``, ``auto_update_plugins`` and ``auto_update_themes`` (PHP-serialized
arrays, parsed here without PHP and never evaluated). Activation writes the options the
way ``activate_plugin``/``switch_theme`` leave them; the plugin's activation hook does not
run (there is no PHP on our side), so after every change the home page must still answer,
or the change is undone.

New files come from add-on archives in the package store (``AddonPackage``). An install
or an update unpacks beside the folder under a hidden name, checks the files, renames
them into place (an update sets the old folder aside and removes it only once the site
answers); any failure removes what was added and puts the old folder back.
"""

from __future__ import annotations

import logging
import posixpath
import re
import secrets
from dataclasses import dataclass

from apps.recipes.base import Addons, InstallError, SiteAccess, Step, http_request
from apps.recipes.base import compare_versions as compare
from apps.recipes.base import opcache_settle, run_steps
from installatron_gui.lib.flags import yes_no
from installatron_gui.lib.php import php_serialize_list, php_unserialize

log = logging.getLogger(__name__)

PLUGINS_DIR = "wp-content/plugins"
THEMES_DIR = "wp-content/themes"
# The API's kinds -> the package store's kinds of their archives.
KINDS = {"plugin": "wp-plugin", "theme": "wp-theme"}
# WordPress reads headers from the first 8 KiB of a file.
HEADER_BYTES = 8192
PLUGIN_HEADERS = {
    "Name": "Plugin Name", "PluginURI": "Plugin URI", "Version": "Version",
    "Description": "Description", "Author": "Author", "AuthorURI": "Author URI",
    "TextDomain": "Text Domain", "DomainPath": "Domain Path", "Network": "Network",
    "RequiresWP": "Requires at least", "RequiresPHP": "Requires PHP",
}  # fmt: skip
THEME_HEADERS = {
    "Name": "Theme Name", "ThemeURI": "Theme URI", "Description": "Description",
    "Author": "Author", "AuthorURI": "Author URI", "Version": "Version",
    "Template": "Template", "TextDomain": "Text Domain",
}  # fmt: skip
_NAME = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}"
# "folder/file.php", a single-file plugin "file.php", or a bare folder name (v2 routes
# cannot carry a slash).
PLUGIN_ID_RE = re.compile(rf"^{_NAME}(?:/{_NAME})?$")
THEME_ID_RE = re.compile(rf"^{_NAME}$")
PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{0,64}$")
# Where updates stage their files: hidden, so WordPress never lists them as add-ons.
STAGE = ".itron-"


def _string_list(value) -> list[str]:
    """The strings of an unserialized array (anything else, as WordPress does, is none)."""
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str)]
    return []


# --------------------------------------------------------------------------- headers


def read_headers(text: str, headers: dict[str, str]) -> dict[str, str]:
    """WordPress's ``get_file_data``: ``Name: value`` lines in the first 8 KiB, after any
    comment markers; ``*/`` and ``?>`` end a value."""
    text = text[:HEADER_BYTES].replace("\r", "\n")
    found = {}
    for key, label in headers.items():
        match = re.search(r"^(?:[ \t]*<\?php)?[ \t/*#@]*" + re.escape(label) + r":(.*)$",
                          text, re.M | re.I)
        value = match.group(1) if match else ""
        found[key] = re.sub(r"\s*(?:\*/|\?>).*", "", value).strip()
    return found


# --------------------------------------------------------------------------- listing


@dataclass
class Addon:
    """One plugin or theme as the site has it."""

    kind: str  # "plugin" or "theme"
    id: str  # the plugin file (akismet/akismet.php) or the theme folder
    folder: str  # the folder below plugins/ or themes/; "" for a single-file plugin
    headers: dict
    active: bool = False
    autoup: bool = False
    parent_of_active: bool = False
    update: object | None = None  # the store's newer package (SiteAccess.newest_package)

    @property
    def name(self) -> str:
        return self.headers.get("Name") or self.id

    @property
    def version(self) -> str:
        return self.headers.get("Version", "")

    @property
    def path(self) -> str:
        """Relative to wp-content/plugins or wp-content/themes: what uninstall removes."""
        return self.folder or self.id

    @property
    def dom_id(self) -> str:
        return f"{self.kind}-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.id)

    def as_api(self) -> dict:
        """The view API's ``list-plugins``/``list-themes`` entry (WordPress's header
        names), plus ``active`` and ``autoup``; ``_ud`` when the store has a newer one."""
        h = self.headers
        if self.kind == "plugin":
            data = {"Name": h.get("Name", ""), "PluginURI": h.get("PluginURI", ""),
                    "Version": h.get("Version", ""), "Description": h.get("Description", ""),
                    "Author": h.get("Author", ""), "AuthorURI": h.get("AuthorURI", ""),
                    "TextDomain": h.get("TextDomain", ""), "DomainPath": h.get("DomainPath", ""),
                    "Network": h.get("Network", "").lower() == "true",
                    "Title": h.get("Name", ""), "AuthorName": h.get("Author", "")}
        else:
            data = {"Name": h.get("Name", ""), "Title": h.get("Name", ""),
                    "Version": h.get("Version", ""), "Author": h.get("Author", ""),
                    "Author URI": h.get("AuthorURI", ""),
                    "Template": h.get("Template") or self.id, "Stylesheet": self.id}
        data["active"] = self.active
        data["autoup"] = self.autoup
        if self.update is not None:
            data["_ud"] = {"slug": self.update.slug, "new_version": self.update.version,
                           "package": self.update.archive}
        return data


@dataclass
class SiteState:
    """The options that say which add-ons are active and auto-updated."""

    active_plugins: list[str]
    template: str
    stylesheet: str
    auto_update_plugins: list[str]
    auto_update_themes: list[str]


class Site(Addons):
    """One install's plugins and themes: its files (the website's transport, paths below
    the install's folder) and its options. What the recipe's ``addons`` hook returns."""

    kinds = KINDS

    def __init__(self, access: SiteAccess):
        self.access = access
        self.transport = access.transport
        self.path = access.path

    def dir_of(self, kind: str) -> str:
        return self.path(PLUGINS_DIR if kind == "plugin" else THEMES_DIR)

    # -- the Addons interface (the engine's dispatcher calls these)
    def apply(self, kind: str, action: str, addon_id: str) -> Addon | None:
        return apply_addon_action(self, kind, action, addon_id)

    def edit(self, params: dict) -> dict:
        return handle_edit_addons(self, params)

    def listing(self) -> dict:
        return _listing(self, KINDS)

    def update(self, specs: dict[str, str], *, report=None) -> dict:
        return update_addons(self, specs, report=report)

    # -- options
    def _options_table(self) -> str:
        prefix = self.access.db_prefix
        if not PREFIX_RE.match(prefix or ""):
            raise InstallError("The install's table prefix is not usable.", status=500)
        return f"`{prefix}options`"

    def _connect(self):
        return self.access.connect()

    def read_options(self) -> SiteState:
        names = ("active_plugins", "template", "stylesheet", "auto_update_plugins",
                 "auto_update_themes")
        conn = self._connect()
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT option_name, option_value FROM {self._options_table()} "
                        f"WHERE option_name IN ({', '.join(['%s'] * len(names))})", names)
            values = dict(cur.fetchall())
        finally:
            conn.close()

        def array(name: str) -> list[str]:
            try:
                return _string_list(php_unserialize(values.get(name) or "a:0:{}"))
            except (ValueError, UnicodeError):
                log.warning("install %s: option %s is not a serialized array",
                            self.access.label, name)
                return []

        return SiteState(active_plugins=array("active_plugins"),
                         template=values.get("template") or "",
                         stylesheet=values.get("stylesheet") or "",
                         auto_update_plugins=array("auto_update_plugins"),
                         auto_update_themes=array("auto_update_themes"))

    def write_options(self, values: dict[str, str]) -> None:
        """Set options (created when missing), all in one transaction."""
        conn = self._connect()
        try:
            cur = conn.cursor()
            for name, value in values.items():
                autoload = "no" if name.startswith("auto_update_") else "yes"
                cur.execute(f"INSERT INTO {self._options_table()} (option_name, option_value, "
                            "autoload) VALUES (%s, %s, %s) ON DUPLICATE KEY UPDATE "
                            "option_value = VALUES(option_value)", (name, value, autoload))
            conn.commit()
        finally:
            conn.close()

    def check_answers(self, what: str) -> None:
        """The home page must not fail (a plugin's fatal error is an HTTP 500)."""
        status, _, _ = http_request("GET", self.access.url.rstrip("/") + "/",
                                    ip=self.access.url_ip)
        if status >= 500:
            raise InstallError(f"After {what} the website answered HTTP {status}; the change "
                               "was undone.", errcode="failed_addon_site", status=500)

    # -- files
    def _text(self, rel: str) -> str:
        return self.transport.read(rel)[:HEADER_BYTES].decode("utf-8", errors="replace")

    def plugins(self) -> list[tuple[str, str, dict]]:
        """(plugin file, folder, headers) of every plugin, as ``get_plugins`` finds them."""
        base = self.dir_of("plugin")
        if not self.transport.is_dir(base):
            return []
        found = []
        for name in self.transport.listdir(base):
            if name.startswith("."):
                continue
            rel = posixpath.join(base, name)
            if self.transport.is_dir(rel):
                for inner in self.transport.listdir(rel):
                    if inner.endswith(".php") and not inner.startswith("."):
                        found += self._plugin(f"{name}/{inner}", name)
            elif name.endswith(".php"):
                found += self._plugin(name, "")
        return found

    def _plugin(self, plugin_file: str, folder: str) -> list[tuple[str, str, dict]]:
        rel = posixpath.join(self.dir_of("plugin"), plugin_file)
        if self.transport.is_dir(rel):
            return []
        headers = read_headers(self._text(rel), PLUGIN_HEADERS)
        return [(plugin_file, folder, headers)] if headers["Name"] else []

    def themes(self) -> list[tuple[str, dict]]:
        base = self.dir_of("theme")
        if not self.transport.is_dir(base):
            return []
        found = []
        for name in self.transport.listdir(base):
            style = posixpath.join(base, name, "style.css")
            if name.startswith(".") or not self.transport.is_dir(posixpath.join(base, name)) \
                    or not self.transport.exists(style) or self.transport.is_dir(style):
                continue
            headers = read_headers(self._text(style), THEME_HEADERS)
            if headers["Name"]:
                found.append((name, headers))
        return found

    def items(self, kind: str) -> list[Addon]:
        state = self.read_options()
        if kind == "plugin":
            items = [Addon("plugin", pid, folder, headers, active=pid in state.active_plugins,
                           autoup=pid in state.auto_update_plugins)
                     for pid, folder, headers in self.plugins()]
        else:
            items = [Addon("theme", slug, slug, headers, active=slug == state.stylesheet,
                           parent_of_active=slug == state.template and slug != state.stylesheet,
                           autoup=slug in state.auto_update_themes)
                     for slug, headers in self.themes()]
        for item in items:
            if item.folder:
                newest = self.access.newest_package(KINDS[kind], item.folder)
                if newest is not None and compare(newest.version, item.version or "0") > 0:
                    item.update = newest
        return sorted(items, key=lambda a: (a.name.lower(), a.id))

    def find(self, kind: str, addon_id: str) -> Addon:
        """The installed add-on ``addon_id`` names (a plugin also by its folder name)."""
        addon_id = check_addon_id(kind, addon_id)
        items = self.items(kind)
        for item in items:
            if item.id == addon_id:
                return item
        if kind == "plugin" and "/" not in addon_id:
            # A folder name: its plugin file, preferring folder/folder.php.
            matches = [i for i in items if i.folder == addon_id]
            preferred = [i for i in matches if i.id == f"{addon_id}/{addon_id}.php"]
            if preferred or len(matches) == 1:
                return (preferred or matches)[0]
        raise InstallError(f"There is no {kind} '{addon_id}' in this install.",
                           errcode=f"invalid_argument_{kind}", status=404, field=kind)


def check_addon_id(kind: str, addon_id) -> str:
    """A plugin id (folder/file.php, file.php or folder) or a theme folder; nothing else."""
    if not isinstance(addon_id, str) or not addon_id.strip():
        raise InstallError(f"The {kind} id is required.", errcode=f"empty_argument_{kind}",
                           field=kind)
    addon_id = addon_id.strip()
    regex = PLUGIN_ID_RE if kind == "plugin" else THEME_ID_RE
    if not regex.match(addon_id) or ".." in addon_id or \
            (kind == "plugin" and "/" in addon_id and not addon_id.endswith(".php")):
        raise InstallError(f"'{addon_id[:80]}' is not a valid {kind} id.",
                           errcode=f"invalid_argument_{kind}", field=kind)
    return addon_id


# --------------------------------------------------------------------------- operations


def _listing(site: Site, kinds) -> dict:
    return {f"list-{k}s": {a.id: a.as_api() for a in site.items(k)}
            for k in ("plugin", "theme") if k in kinds}


def _set_options(site: Site, what: str, values: dict[str, str], undo: dict[str, str]) -> None:
    """Write ``values``; if the site then fails, write ``undo`` back and raise."""
    site.write_options(values)
    try:
        site.check_answers(what)
    except BaseException:
        site.write_options(undo)
        raise


def activate_plugin(site: Site, addon: Addon) -> None:
    state = site.read_options()
    if addon.id in state.active_plugins:
        return
    old = state.active_plugins
    new = sorted({*old, addon.id})  # WordPress keeps active_plugins sorted
    _set_options(site, f"activating {addon.name}", {"active_plugins": php_serialize_list(new)},
                 {"active_plugins": php_serialize_list(old)})


def deactivate_plugin(site: Site, addon: Addon) -> None:
    state = site.read_options()
    if addon.id not in state.active_plugins:
        return
    old = state.active_plugins
    new = [p for p in old if p != addon.id]
    _set_options(site, f"deactivating {addon.name}",
                 {"active_plugins": php_serialize_list(new)},
                 {"active_plugins": php_serialize_list(old)})


def _theme_options(site: Site, addon: Addon, state: SiteState) -> dict[str, str]:
    """What ``switch_theme`` writes: template (the parent), stylesheet, current_theme."""
    template = addon.headers.get("Template") or addon.id
    if template != addon.id:
        check_addon_id("theme", template)
        if not site.transport.exists(posixpath.join(site.dir_of("theme"), template,
                                                    "style.css")):
            raise InstallError(f"{addon.name} needs its parent theme '{template}', which is "
                               "not installed.", errcode="invalid_argument_theme", field="theme")
    return {"template": template, "stylesheet": addon.id, "current_theme": addon.name,
            "theme_switched": state.stylesheet}


def activate_theme(site: Site, addon: Addon) -> None:
    state = site.read_options()
    if state.stylesheet == addon.id:
        return
    names = {slug: headers["Name"] for slug, headers in site.themes()}
    undo = {"template": state.template, "stylesheet": state.stylesheet,
            "current_theme": names.get(state.stylesheet, state.stylesheet)}
    _set_options(site, f"activating {addon.name}", _theme_options(site, addon, state), undo)


def deactivate_theme(site: Site, addon: Addon) -> None:
    """WordPress always has an active theme: switch to the default (twentytwentythree) or
    another installed one."""
    if not addon.active:
        return
    others = [t for t in site.items("theme") if t.id != addon.id
              and (t.headers.get("Template") or t.id) != addon.id]
    if not others:
        raise InstallError("This is the only theme; install another one before deactivating it.",
                           errcode="invalid_argument_theme", field="theme")
    default = next((t for t in others if t.id == "twentytwentythree"), others[0])
    activate_theme(site, default)


def set_autoup(site: Site, addon: Addon, enabled: bool) -> None:
    """WordPress's own per-add-on auto-update flag (auto_update_plugins/_themes)."""
    state = site.read_options()
    name = f"auto_update_{addon.kind}s"
    current = state.auto_update_plugins if addon.kind == "plugin" else state.auto_update_themes
    wanted = sorted({*current, addon.id}) if enabled else [i for i in current if i != addon.id]
    if wanted != current:
        site.write_options({name: php_serialize_list(wanted)})


def uninstall_addon(site: Site, addon: Addon) -> None:
    """Deactivate, forget its auto-update flag, then remove its folder (or file)."""
    if addon.kind == "theme" and (addon.active or addon.parent_of_active):
        raise InstallError(f"{addon.name} is the active theme (or its parent); activate "
                           "another theme before uninstalling it.",
                           errcode="invalid_argument_theme", field="theme")
    if addon.kind == "plugin":
        deactivate_plugin(site, addon)
    set_autoup(site, addon, False)
    site.transport.remove(posixpath.join(site.dir_of(addon.kind), addon.path))


def _store_package(site: Site, kind: str, slug: str):
    package = site.access.newest_package(KINDS[kind], slug)
    if package is None:
        raise InstallError(f"The {kind} '{slug}' is not in the package store.",
                           errcode=f"invalid_argument_{kind}", status=404, field=kind)
    return package


def _staged_steps(site: Site, kind: str, folder: str, package, what: str) -> tuple[list, str]:
    """The undoable steps that bring ``package`` into ``folder`` (below plugins/ or
    themes/): verify the archive, unpack it beside the folder under a hidden name, check
    it holds the add-on at the package's version, rename it into place (the old folder,
    if any, set aside), check the site answers. Returns the steps and the set-aside
    folder's path, which the caller removes once the steps have all run."""
    base = site.dir_of(kind)
    t = site.transport
    tag = secrets.token_hex(4)
    current = posixpath.join(base, folder)
    staged = posixpath.join(base, f"{STAGE}new-{folder}-{tag}")
    kept = posixpath.join(base, f"{STAGE}old-{folder}-{tag}")
    marker = "style.css" if kind == "theme" else package.main

    def check_staged():
        path = posixpath.join(staged, marker)
        if not marker or not t.exists(path) or t.is_dir(path):
            raise InstallError(f"The archive of {package} has no usable {kind} in it.",
                               errcode="failed_package_invalid", status=500)
        headers = read_headers(t.read(path)[:HEADER_BYTES].decode("utf-8", "replace"),
                               PLUGIN_HEADERS if kind == "plugin" else THEME_HEADERS)
        if not headers.get("Name"):
            raise InstallError(f"The archive of {package} has no usable {kind} in it.",
                               errcode="failed_package_invalid", status=500)
        if compare(headers.get("Version", ""), package.version) != 0:
            raise InstallError(f"The archive of {package} holds version "
                               f"{headers.get('Version', '')[:32] or 'none'}.",
                               errcode="failed_package_invalid", status=500)

    def swap():
        if t.exists(current):
            t.rename(current, kept)
        t.rename(staged, current)

    def unswap():
        if t.exists(current):
            t.remove(current)
        if t.exists(kept):
            t.rename(kept, current)
        opcache_settle()  # what was there before is served again before we say so

    def check_site():
        opcache_settle()  # or we would check the old code still in memory
        site.check_answers(what)

    steps = [
        Step("verify", lambda: site.access.verify_package(package), message="Checking the package"),
        Step("unpack", lambda: t.put_tree(package.path, staged), lambda: t.remove(staged),
             message=f"Unpacking {package}", weight=3),
        Step("check", check_staged, message="Checking the new files"),
        Step("swap", swap, unswap, message="Switching to the new files"),
        Step("site", check_site, message="Checking the website"),
    ]
    return steps, kept


def install_addon(site: Site, kind: str, addon_id: str, *, report=None) -> Addon:
    """Bring the store's newest archive of an add-on into its folder (which must not
    exist yet), through the same staged steps as an update: any failure removes what was
    added and leaves the site as it was. ``addon_id``: the folder name, or for a plugin
    also folder/file.php."""
    slug = check_addon_id(kind, addon_id).split("/", 1)[0]
    package = _store_package(site, kind, slug)
    if site.transport.exists(posixpath.join(site.dir_of(kind), slug)):
        raise InstallError(f"The {kind} '{slug}' is already installed; update it instead.",
                           errcode=f"invalid_argument_{kind}", field=kind)
    steps, _ = _staged_steps(site, kind, slug, package, f"adding {package}")
    run_steps(steps, report=report)
    return site.find(kind, package.addon_id)


def update_addon(site: Site, addon: Addon, *, report=None) -> Addon:
    """Replace an add-on's folder with the store's newest archive, atomically.

    The staged steps (``_staged_steps``) swap the two folders by renaming; the old folder
    is removed only once the site answers. A failure before the end undoes the steps in
    reverse: the old folder is back under its name and the new files are gone.
    """
    if addon.update is None:
        raise InstallError(f"{addon.name} {addon.version} is up to date.",
                           errcode=f"invalid_argument_{addon.kind}", field=addon.kind)
    steps, kept = _staged_steps(site, addon.kind, addon.folder, addon.update,
                                f"updating {addon.name}")
    run_steps(steps, report=report)
    site.transport.remove(kept)  # the old files, only once the new ones work
    return site.find(addon.kind, addon.id)


def update_addons(site: Site, specs: dict[str, str], *, report=None) -> dict:
    """The update API's ``plugin``/``theme`` parameters (``specs``: kind -> ``*`` or a
    comma-separated list of ids); each named add-on with a newer archive in the store is
    updated.

    For the update command (its task holds the install). Returns
    ``{"updated": [...], "failed": {id: message}}``; a failed add-on is left as it was
    and the others still go ahead.
    """
    result: dict = {"updated": [], "failed": {}}
    wanted = [(kind, specs.get(kind)) for kind in KINDS]
    for kind, spec in wanted:
        if spec in (None, ""):
            continue
        items = site.items(kind)
        if str(spec).strip() == "*":
            chosen = [i for i in items if i.update is not None]
        else:
            chosen = []
            for part in (p.strip() for p in str(spec).split(",")):
                try:
                    chosen.append(site.find(kind, part)) if part else None
                except InstallError as exc:
                    result["failed"][part[:100]] = exc.message
        for item in chosen:
            if item.update is None:
                continue
            try:
                updated = update_addon(site, item, report=None)
            except InstallError as exc:
                result["failed"][item.id] = exc.message
                continue
            result["updated"].append(f"{item.id}-{updated.version}")
            if report is not None:
                report(0, 100, f"Updated {item.name} to {updated.version}")
    return result


# --------------------------------------------------------------------------- the edit API

# v1 edit parameters per kind; "auotup" is the reference's spelling, "autoup" the right one.
ACTIONS = ("install", "activate", "deactivate", "auotup", "autoup", "noautoup", "update",
           "uninstall")


def _flag_value(params: dict, name: str, yes: set[str], no: set[str]):
    value = params.get(name)
    if value in (None, ""):
        return None
    parsed = yes_no(value, yes, no)
    if parsed is not None:
        return parsed
    raise InstallError(f"{name} must be one of {', '.join(sorted(yes | no))}.",
                       errcode=f"invalid_argument_{name}", field=name)


def apply_addon_action(site: Site, kind: str, action: str, addon_id: str) -> Addon | None:
    """One action (install, activate, deactivate, autoup, noautoup, update, uninstall)."""
    if action == "install":
        return install_addon(site, kind, addon_id)
    addon = site.find(kind, addon_id)
    if action == "activate":
        (activate_plugin if kind == "plugin" else activate_theme)(site, addon)
    elif action == "deactivate":
        (deactivate_plugin if kind == "plugin" else deactivate_theme)(site, addon)
    elif action in ("autoup", "auotup", "noautoup"):
        set_autoup(site, addon, action != "noautoup")
    elif action == "update":
        return update_addon(site, addon)
    elif action == "uninstall":
        uninstall_addon(site, addon)
        return None
    else:
        raise InstallError(f"Unknown action '{action[:20]}'.", errcode="invalid_argument_action")
    return site.find(kind, addon.id)


def handle_edit_addons(site: Site, params: dict) -> dict:
    """The plugin and theme part of ``edit`` (v1 parameters and the v2 routes).

    v1: ``list-plugins=1``, ``install-plugin=<id>``, ``activate-plugin``,
    ``deactivate-plugin``, ``auotup-plugin`` (the reference's spelling) or
    ``autoup-plugin``, ``noautoup-plugin``, ``uninstall-plugin``, and the same for
    themes; several may be given and run in that order. v2: ``__v2_addon`` =
    plugin/plugin-uninstall/theme/theme-uninstall with ``plugin``/``theme`` from the
    route, ``activated=true|false`` and ``autoup=all|none`` (a POST for an add-on that is
    not installed installs it first). Returns the reply data: ``list-plugins`` and/or
    ``list-themes`` (v1 names) after the change; ``{}`` when ``params`` names no plugin
    or theme action.
    """
    todo: list[tuple[str, str, str]] = []
    v2_addon = params.get("__v2_addon")
    if v2_addon:
        kind, _, uninstall = str(v2_addon).partition("-")
        if kind not in KINDS:
            raise InstallError("Unknown add-on route.", errcode="invalid_route", status=404)
        addon_id = check_addon_id(kind, params.get(kind))
        if uninstall:
            todo.append((kind, "uninstall", addon_id))
        else:
            activated = _flag_value(params, "activated", {"true", "1", "yes"},
                                    {"false", "0", "no"})
            autoup = _flag_value(params, "autoup", {"all", "1", "true"}, {"none", "0", "false"})
            todo.append((kind, "install-if-missing", addon_id))
            if activated is not None:
                todo.append((kind, "activate" if activated else "deactivate", addon_id))
            if autoup is not None:
                todo.append((kind, "autoup" if autoup else "noautoup", addon_id))
    else:
        for action in ACTIONS:
            for kind in KINDS:
                value = params.get(f"{action}-{kind}")
                if value not in (None, ""):
                    todo.append((kind, action, check_addon_id(kind, value)))
    listed = {k for k in KINDS if str(params.get(f"list-{k}s", "")).strip() not in ("", "0")}
    if not todo and not listed:
        return {}
    for kind, action, addon_id in todo:
        listed.add(kind)
        if action == "install-if-missing":
            try:
                site.find(kind, addon_id)
            except InstallError:
                install_addon(site, kind, addon_id)
            else:
                if len(todo) == 1:
                    raise InstallError(f"The {kind} '{addon_id}' is already installed.",
                                       errcode=f"invalid_argument_{kind}", field=kind)
            continue
        apply_addon_action(site, kind, action, addon_id)
    return _listing(site, listed)
