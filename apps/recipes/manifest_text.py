"""The words of the manifests' fields (labels, help texts, option labels) for translation.

Manifests are JSON, which ``makemessages`` does not read; ``manifest_strings.py`` repeats
their words as ``gettext_noop`` calls so they land in the catalogs, and the GUI's forms
pass each through ``gettext`` when they build the field. ``manage.py manifeststrings``
writes that module again after a manifest changed; a test fails while it is out of date.
Recipes kept outside the product (``RECIPE_DIRS``) are not part of it: their words show
as written.
"""

from __future__ import annotations

import json

from .base import RECIPES_DIR

MODULE = RECIPES_DIR / "manifest_strings.py"
HEADER = '''"""Written by ``manage.py manifeststrings`` from apps/recipes/*/manifest.json: do not edit.

The words of the manifests' fields, for ``makemessages`` (see manifest_text.py)."""

from django.utils.translation import gettext_noop as _

STRINGS = (
'''


def field_words(manifest: dict) -> set[str]:
    """Every label, help text and option label of a manifest's fields."""
    words: set[str] = set()
    for spec in (manifest.get("fields") or {}).values():
        words.update(spec[key] for key in ("label", "text") if spec.get(key))
        words.update(label for label in (spec.get("options") or {}).values() if label)
    return words


def module_text() -> str:
    """What ``manifest_strings.py`` holds for the product's manifests today."""
    words: set[str] = set()
    for path in sorted(RECIPES_DIR.glob("*/manifest.json")):
        words |= field_words(json.loads(path.read_text(encoding="utf-8")))
    lines = [f"    _({json.dumps(word, ensure_ascii=False)}),\n" for word in sorted(words)]
    return HEADER + "".join(lines) + ")\n"
