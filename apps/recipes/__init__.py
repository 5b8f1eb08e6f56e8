"""Application recipes: one folder per application (manifest.json, optional recipe.py)."""

from .base import Recipe, all_recipes, app_name, get_recipe

__all__ = ["Recipe", "all_recipes", "app_name", "get_recipe"]
