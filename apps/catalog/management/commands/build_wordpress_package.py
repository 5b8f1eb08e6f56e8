"""Build a standalone WordPress archive from Debian's package and add it to the store."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.catalog import services
from apps.catalog.recipes.wordpress import debian
from apps.catalog.errors import CatalogError

from .add_package import parse_date


class Command(BaseCommand):
    help = ("Build WordPress from Debian's /usr/share/wordpress (symlinks dereferenced, Debian's "
            "config dropped) and add it to the package store.")

    def add_arguments(self, parser):
        parser.add_argument("--source", default=str(debian.WORDPRESS_SOURCE))
        parser.add_argument("--l10n", action="store_true",
                            help="include the language files of Debian's wordpress-l10n")
        parser.add_argument("--branch", default="current")
        parser.add_argument("--date", help="release date, YYYY-MM-DD")
        parser.add_argument("--output", help="also keep a copy of the archive at this path")

    def handle(self, *args, source, l10n, branch, date, output, **opts):
        released = parse_date(date)
        try:
            with tempfile.TemporaryDirectory(prefix="wp-build-") as tmp:
                built = debian.build_wordpress_archive(Path(tmp) / "wordpress.tar.gz",
                                                       source=Path(source), l10n=l10n)
                if output:
                    Path(output).write_bytes(built.path.read_bytes())
                package = services.add_package("wordpress", built.version, built.path,
                                               branch=branch, released=released)
        except CatalogError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{package} added: {built.files} files, {built.languages} language "
                          f"files, {package.size} bytes, sha256 {package.sha256}")
