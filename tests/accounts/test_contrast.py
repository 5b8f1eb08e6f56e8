"""Text in the stylesheet is readable: every colour pair it sets meets WCAG AA (4.5:1).

The pairs are read from static/css/app.css itself (custom properties resolved), so a
colour change that drops below 4.5:1 fails here (issue 14: the "Installed" badge was
3.85:1, breadcrumb links 4.40:1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"

# (what it is, selector of the text colour, selector of the background it sits on);
# a selector is written as in the stylesheet, "body"/"th"... for the plain ones.
PAIRS = [
    ("body text", "body", "body"),
    ("links and breadcrumbs on the page", "a", "body"),
    ("links in a card", "a", ".card"),
    ("muted text on the page", ".muted", "body"),
    ("muted text in a card", ".muted", ".card"),
    ("table headings", "th", "th"),
    ("badges", "body", ".badge"),
    ("'Installed'/'active' badges", ".badge.ok", ".badge.ok"),
    ("'Failed'/'suspended' badges", ".badge.bad", ".badge.bad"),
    ("'Busy' badges", ".badge.busy, .badge.warn", ".badge.busy, .badge.warn"),
    ("buttons", "button, .button", "button, .button"),
    ("secondary buttons", "button.secondary, .button.secondary",
     "button.secondary, .button.secondary"),
    ("danger buttons", "button, .button", "button.danger, .button.danger"),
    ("menu links", ".topbar a", ".topbar"),
    ("the current menu tab", ".mainnav a[aria-current]", ".topbar"),
    ("form errors", ".errorlist", ".card"),
    ("messages", "body", ".messages li"),
    ("error messages", "body", ".messages li.msg-error"),
    ("code", "body", "code"),
]


def _rules() -> dict[str, dict[str, str]]:
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    text = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)\s*\}", "", text)  # phones only
    rules: dict[str, dict[str, str]] = {}
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        decls = rules.setdefault(" ".join(selector.split()), {})
        for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body):
            decls[name.strip()] = value.replace("!important", "").strip()
    return rules


def _colour(rules, selector: str, prop: str) -> str:
    decls = rules[selector]
    value = decls.get(prop) or (decls.get("background-color") if prop == "background" else None)
    assert value, f"{selector} sets no {prop}"
    while value.startswith("var("):
        value = rules[":root"][value[4:-1].strip()]
    value = re.sub(r"^#(\w)(\w)(\w)$", r"#\1\1\2\2\3\3", value)
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", value), f"{selector} {prop}: {value}"
    return value


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    high, low = sorted([_luminance(fg), _luminance(bg)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_ratio_is_computed_as_wcag_does():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#1f8a4c", "#e6f4ea"), 2) == 3.85  # the old "Installed" badge
    assert round(contrast("#2f6fde", "#f5f7fa"), 2) == 4.40  # the old breadcrumb link


@pytest.mark.parametrize(("what", "fg", "bg"), PAIRS, ids=[p[0] for p in PAIRS])
def test_each_text_colour_pair_is_at_least_4_5_to_1(what, fg, bg):
    rules = _rules()
    ratio = contrast(_colour(rules, fg, "color"), _colour(rules, bg, "background"))
    assert ratio >= 4.5, f"{what}: {ratio:.2f}:1"
