"""The Recipe base class and the loader that finds one folder per application.

A recipe folder ``apps/catalog/recipes/<id>/`` holds ``manifest.json`` (what the browser API
and the GUI show: names, requirements, fields, languages, links) and optionally
``recipe.py`` with a ``Recipe`` subclass that carries the application's install logic.
Adding an application means adding a folder; nothing here changes.
"""

from __future__ import annotations

import importlib
import json
import re
from functools import cache
from pathlib import Path

from ..errors import CatalogError

RECIPES_DIR = Path(__file__).resolve().parent
# The dotted package of RECIPES_DIR, for importing ``<id>/recipe.py``.
RECIPES_PACKAGE = __package__
APP_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
FIELD_TYPES = {"text", "password", "select", "radio"}
# link_* members of the browser API, in the reference document's order.
LINK_NAMES = ("site", "demo", "showcase", "docs", "faq", "support", "changelog")


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
        (WordPress: ``options``, ``posts``, ...). A longer prefix under which all of them
        exist is another install sharing the database (``wp_b_`` beside ``wp_``)."""
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
        kind = spec.get("type")
        if kind is not None and kind not in FIELD_TYPES:
            problems.append(f"field {name}: unknown type {kind!r}")
        if kind in {"select", "radio"} and name != "language" and not spec.get("options"):
            problems.append(f"field {name}: {kind} needs options")
    if problems:
        raise ValueError(f"recipe {folder.name}: " + "; ".join(problems))


@cache
def get_recipe(app_id: str) -> Recipe:
    """The recipe of ``app_id``: its ``recipe.py`` subclass if it has one, else the base."""
    if not isinstance(app_id, str) or not APP_ID_RE.match(app_id):
        raise CatalogError(f"There is no application '{str(app_id)[:64]}'.")
    folder = RECIPES_DIR / app_id
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise CatalogError(f"There is no application '{app_id}'.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    validate_manifest(manifest, folder)
    cls = Recipe
    if (folder / "recipe.py").is_file():
        cls = _recipe_class(importlib.import_module(f"{RECIPES_PACKAGE}.{app_id}.recipe"))
    return cls(manifest, folder)


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
    ids = sorted(p.parent.name for p in RECIPES_DIR.glob("*/manifest.json"))
    return sorted((get_recipe(i) for i in ids if APP_ID_RE.match(i)), key=lambda r: r.name.lower())
