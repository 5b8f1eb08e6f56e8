"""The apps depend on each other one way only (STYLE 3a, issue 11 step 4).

A module may import its own app and the layers to its left, never to its right;
imports inside functions count too. The known exceptions are listed in ALLOWED with the
reason each still exists; the list may only shrink, and an entry that is no longer
needed fails the test so that nobody leaves it behind.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Left to right; apps in one group are peers. apps.sites is optional (a new layer).
LAYERS = [
    ["installatron_gui.lib"],
    ["apps.transports", "apps.panels"],
    ["apps.accounts", "apps.tasks"],
    ["apps.sites"],
    ["apps.recipes"],
    ["apps.catalog"],
    ["apps.installs"],
    ["apps.backups"],
    ["apps.updates"],
    ["apps.api"],
    ["apps.console"],  # the admin console: it sets what every layer below uses
]

# (importing module, imported module) -> why it is still there.
ALLOWED: dict[tuple[str, str], str] = {}


def _layer(module: str) -> int | None:
    for index, group in enumerate(LAYERS):
        if any(module == app or module.startswith(app + ".") for app in group):
            return index
    return None


def _app(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _imports(path: Path, module: str):
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target


@cache
def backward_imports() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    files = list((ROOT / "apps").rglob("*.py")) + list((ROOT / "installatron_gui").rglob("*.py"))
    for path in files:
        rel = path.relative_to(ROOT)
        if "migrations" in rel.parts:
            continue
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        own = _layer(module)
        if own is None:
            continue
        for lineno, target in _imports(path, module):
            layer = _layer(target)
            if layer is not None and layer > own and _app(target) != _app(module):
                found.setdefault((module, target), f"{rel}:{lineno}")
    return found


def test_no_backward_imports():
    found = backward_imports()
    new = {edge: where for edge, where in found.items() if edge not in ALLOWED}
    assert not new, "imports against the layer order (see LAYERS):\n" + "\n".join(
        f"  {where}: {edge[0]} -> {edge[1]}" for edge, where in sorted(new.items()))


def test_allowed_list_has_no_stale_entries():
    stale = sorted(edge for edge in ALLOWED if edge not in backward_imports())
    assert not stale, f"ALLOWED entries no longer needed, remove them: {stale}"


def test_the_checker_sees_a_backward_import(tmp_path):
    """The checker itself: a function-level backward import is found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from apps.api import shapes\n")
    assert list(_imports(module, "apps.tasks.m")) == [(2, "apps.api")]
    assert _layer("apps.api.shapes") > _layer("apps.tasks.m")
