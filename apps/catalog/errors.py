"""The catalog's error is the recipes layer's: an application, version or package the caller named."""

from apps.recipes.errors import CatalogError

__all__ = ["CatalogError"]
