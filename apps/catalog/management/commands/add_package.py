"""Add an application version's archive to the package store (from a file or a URL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.catalog import services
from apps.catalog.errors import CatalogError


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError("--date must be YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Add <app> <version> to the package store from <archive>, or from --url with --sha256."

    def add_arguments(self, parser):
        parser.add_argument("application")
        parser.add_argument("version")
        parser.add_argument("archive", nargs="?", help="a .tar.gz with the files at its root")
        parser.add_argument("--branch", default="current")
        parser.add_argument("--date", help="release date, YYYY-MM-DD")
        parser.add_argument("--url", help="download the archive from here instead")
        parser.add_argument("--sha256", help="expected checksum (required with --url)")

    def handle(self, *args, application, version, archive, branch, date, url, sha256, **opts):
        released = parse_date(date)
        if bool(url) == bool(archive):
            raise CommandError("Give either an archive file or --url (with --sha256).")
        try:
            if url:
                if not sha256:
                    raise CommandError("--url needs --sha256: downloads are always checked.")
                package = services.download_package(application, version, url, sha256=sha256,
                                                    branch=branch, released=released)
            else:
                package = services.add_package(application, version, Path(archive),
                                               branch=branch, released=released, sha256=sha256)
        except CatalogError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{package} added: {package.archive} sha256 {package.sha256}")
