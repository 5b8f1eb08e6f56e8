"""MediaWiki's tests: the package is built once per session from Debian's tree."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def mediawiki_package(tmp_path_factory):
    """The standalone MediaWiki archive (BuiltPackage), built by the recipe's hook."""
    from apps.recipes.base import get_recipe

    out = tmp_path_factory.mktemp("mediawiki-package")
    (built,) = get_recipe("mediawiki").build_package(out)
    return built
