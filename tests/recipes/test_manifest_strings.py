"""The manifests' field words are where makemessages finds them (manifest_strings.py)."""

from __future__ import annotations

from apps.recipes.manifest_text import MODULE, field_words, module_text


def test_the_words_module_matches_the_manifests():
    assert MODULE.read_text(encoding="utf-8") == module_text(), (
        "a manifest's fields changed: run manage.py manifeststrings, then makemessages")


def test_labels_help_texts_and_option_labels_are_collected():
    manifest = {"fields": {
        "acl": {"type": "select", "label": "Policy", "text": "who may write",
                "options": {"open": "Open wiki", "closed": "Closed wiki"}},
        "salt": {"type": "generated"},
    }}
    assert field_words(manifest) == {"Policy", "who may write", "Open wiki", "Closed wiki"}
