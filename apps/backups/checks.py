"""System check: BACKUP_COMPRESSION names a compression backups can be written with."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from installatron_gui.lib.compression import GZIP, ZSTD


@register()
def check_backup_compression(app_configs=None, **kwargs) -> list[Error]:
    value = getattr(settings, "BACKUP_COMPRESSION", ZSTD)
    if value in (ZSTD, GZIP):
        return []
    return [Error(f"BACKUP_COMPRESSION = {value!r} is not a compression backups are "
                  "written with.", hint="Set INSTALLATRON_BACKUP_COMPRESSION to zstd or gzip.",
                  id="backups.E001")]
