from __future__ import annotations

import json
import sys

import pytest

from apps.catalog.errors import CatalogError
from apps.recipes import Recipe, base, get_recipe


@pytest.fixture
def recipes_dir(tmp_path, monkeypatch):
    """A recipes package of our own, so the loader can be tried on folders we control."""
    package = tmp_path / "testrecipes"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(base, "RECIPES_DIR", package)
    monkeypatch.setattr(base, "RECIPES_PACKAGE", "testrecipes")
    _forget_modules("testrecipes")  # another test's package, in another tmp_path
    get_recipe.cache_clear()
    yield package
    get_recipe.cache_clear()
    _forget_modules("testrecipes")


def _forget_modules(package: str) -> None:
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


def write_app(folder, app_id, recipe_py=None, **manifest):
    app = folder / app_id
    app.mkdir()
    (app / "__init__.py").write_text("")
    data = {"id": app_id, "name": app_id.title(), "category": "Test", "description": "d",
            **manifest}
    (app / "manifest.json").write_text(json.dumps(data))
    if recipe_py is not None:
        (app / "recipe.py").write_text(recipe_py)


def test_an_app_without_recipe_py_gets_the_base_recipe(recipes_dir):
    write_app(recipes_dir, "plainapp", requirements={"php": "8.0-"})
    recipe = get_recipe("plainapp")
    assert type(recipe) is Recipe
    assert recipe.folder == recipes_dir / "plainapp"
    assert not recipe.needs_database and not recipe.supports_table_prefix


def test_an_app_with_recipe_py_gets_its_subclass(recipes_dir):
    write_app(recipes_dir, "fancyapp", recipe_py=(
        "from apps.recipes.base import Recipe as Base\n"
        "class FancyRecipe(Base):\n"
        "    def greet(self):\n"
        "        return 'hello ' + self.id\n"))
    recipe = get_recipe("fancyapp")
    assert type(recipe).__name__ == "FancyRecipe"
    assert recipe.greet() == "hello fancyapp"
    assert [r.id for r in base.all_recipes()] == ["fancyapp"]


def test_it_refuses_unknown_or_malformed_application_ids(recipes_dir):
    for app_id in ("nosuchapp", "../etc", "Upper"):
        with pytest.raises(CatalogError) as exc:
            get_recipe(app_id)
        assert exc.value.errcode == "invalid_argument_application"


def test_a_manifest_with_a_bad_field_type_is_refused(recipes_dir):
    write_app(recipes_dir, "badapp", fields={"x": {"type": "slider"}})
    with pytest.raises(ValueError, match="unknown type"):
        get_recipe("badapp")


def test_the_wordpress_manifest_describes_an_install():
    recipe = get_recipe("wordpress")
    assert (recipe.name, recipe.category, recipe.link_admin) == (
        "WordPress", "Content Management", "wp-admin")
    assert recipe.needs_database and recipe.table_prefix == "wp_"
    assert list(recipe.fields) == ["version", "language", "login", "passwd", "email",
                                   "sitetitle", "sitetagline"]
    assert recipe.fields["passwd"]["type"] == "password"
    assert recipe.fields["passwd"]["gettable"] is False
    assert set(recipe.fields["language"]["options"]) == set(recipe.languages)
    assert "en" in recipe.languages and recipe.locale_for("pt_br") == "pt_BR"
    assert recipe.locale_for("en") == ""
