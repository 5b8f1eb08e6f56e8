"""Build an application's package (or its add-ons) with its recipe's builder and add the
archives to the store: ``manage.py build_package APP [--l10n] [--addons]``, or
``manage.py build_package --missing``: every application whose recipe can build a package and
that has none in the store yet, one line each; one that fails is reported and the others go on.
``manage.py build_package APP --from-archive FILE --sha256 HEX`` makes the package from the
application's upstream release archive instead (``apps.catalog.releases``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.catalog import services
from apps.catalog.errors import CatalogError
from apps.catalog.models import AddonPackage
from apps.catalog.models import Package
from apps.catalog.releases import package_from_release
from apps.recipes.base import all_recipes, get_recipe

from .add_package import parse_date


def _addon_spec(text: str) -> tuple[str, str]:
    kind, sep, name = text.partition(":")
    if not sep or not kind or not name:
        raise CommandError(f"--addon wants KIND:NAME (plugin:akismet), not '{text[:80]}'.")
    return kind, name


class Command(BaseCommand):
    help = ("Build an application's package archive from its sources with the recipe's "
            "builder (or, with --addons/--addon, its plugins and themes) and add it to the "
            "package store; add-on versions already stored are skipped.")

    def add_arguments(self, parser):
        parser.add_argument("application", nargs="?",
                            help="the application id (its recipe folder)")
        parser.add_argument("--missing", action="store_true",
                            help="build every application that has no package in the store")
        parser.add_argument("--source", help="the sources to build from (the recipe's "
                            "default if not given)")
        parser.add_argument("--l10n", "--languages", dest="languages", action="store_true",
                            help="include the application's language files")
        parser.add_argument("--addons", action="store_true",
                            help="build the recipe's default add-ons instead")
        parser.add_argument("--addon", action="append", dest="addon_specs", type=_addon_spec,
                            metavar="KIND:NAME", help="build this add-on (repeatable)")
        parser.add_argument("--branch", default="current")
        parser.add_argument("--date", help="release date, YYYY-MM-DD")
        parser.add_argument("--output", help="also keep a copy of the archive at this path")
        parser.add_argument("--from-archive", dest="release", metavar="FILE",
                            help="make the package from the application's upstream release "
                            "archive (.tar.gz/.tgz/.tar.bz2/.tar.xz) instead of building it")
        parser.add_argument("--sha256", help="the release archive's published sha256 "
                            "(required with --from-archive)")
        parser.add_argument("--release-version", dest="release_version",
                            help="the release's version (checked against its files)")

    def handle(self, *args, application, missing, source, languages, addons, addon_specs,
               branch, date, output, release=None, sha256=None, release_version=None, **opts):
        released = parse_date(date)
        if release:
            if missing or source or addons or addon_specs or not application:
                raise CommandError("--from-archive takes one application and nothing to "
                                   "build (no --missing, --source or add-ons).")
            return self._from_release(application, Path(release), sha256, release_version,
                                      branch=branch, released=released, output=output)
        if missing:
            if application:
                raise CommandError("Give an application or --missing, not both.")
            return self._build_missing(languages=languages, branch=branch, released=released)
        if not application:
            raise CommandError("Name the application to build, or give --missing.")
        wanted = addon_specs or ([] if addons else None)
        try:
            recipe = get_recipe(application)
            if not recipe.supports("build_package"):
                raise CommandError(recipe._unsupported("build_package").message)
            with tempfile.TemporaryDirectory(prefix="build-") as tmp:
                for built in recipe.build_package(Path(tmp), source=source,
                                                  languages=languages, addons=wanted):
                    if output:
                        Path(output).write_bytes(built.path.read_bytes())
                    self._store(recipe.id, built, branch=branch, released=released)
        except CatalogError as exc:
            raise CommandError(exc.message) from None

    def _from_release(self, application: str, archive: Path, sha256, version, *, branch,
                      released, output) -> None:
        try:
            recipe = get_recipe(application)
            if not archive.is_file():
                raise CommandError(f"{archive} is not a file.")
            with tempfile.TemporaryDirectory(prefix="release-") as tmp:
                built = package_from_release(recipe, archive, sha256, Path(tmp),
                                             version=version)
                if output:
                    Path(output).write_bytes(built.path.read_bytes())
                self._store(recipe.id, built, branch=branch, released=released)
        except CatalogError as exc:
            raise CommandError(exc.message) from None

    def _build_missing(self, *, languages: bool, branch: str, released) -> None:
        stored = set(Package.objects.values_list("application", flat=True))
        wanted = [r for r in all_recipes() if r.supports("build_package") and r.id not in stored]
        failed = []
        for number, recipe in enumerate(wanted, 1):
            self.stdout.write(f"[{number}/{len(wanted)}] building {recipe.name}")
            try:
                with tempfile.TemporaryDirectory(prefix="build-") as tmp:
                    for built in recipe.build_package(Path(tmp), languages=languages):
                        self._store(recipe.id, built, branch=branch, released=released)
            except CatalogError as exc:
                failed.append(recipe.name)
                self.stderr.write(f"{recipe.name} could not be built: {exc.message}")
        if failed:
            raise CommandError(f"Not built: {', '.join(failed)}; the others are in the store.")

    def _store(self, app_id: str, built, *, branch, released) -> None:
        if not built.kind:
            package = services.add_package(app_id, built.version, built.path, branch=branch,
                                           released=released)
            self.stdout.write(f"{package} added: {built.summary}, {package.size} bytes, "
                              f"sha256 {package.sha256}")
            return
        if AddonPackage.objects.of(built.kind, built.slug).filter(version=built.version).exists():
            self.stdout.write(f"{built.slug} {built.version} is already stored")
            return
        package = services.add_addon_package(built.kind, built.slug, built.version, built.path,
                                              main=built.main, name=built.name)
        self.stdout.write(f"{package.get_kind_display()} {package} added: {package.archive} "
                          f"sha256 {package.sha256}")
