"""System check: the configured panel and every transport backend import (settings typos
show up at ``manage.py check`` and start-up, not in the middle of an install)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


def _import_error(dotted: str, setting: str, check_id: str) -> Error | None:
    try:
        import_string(dotted)
    except ImportError as exc:
        return Error(f"{setting}: cannot import '{dotted}': {exc}",
                     hint="Fix the dotted path or install the backend's dependencies.",
                     id=check_id)
    return None


@register()
def check_backends(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    backend = settings.PANEL.get("BACKEND", "")
    dotted = settings.PANEL_BACKENDS.get(backend, backend)
    error = _import_error(dotted, f"PANEL['BACKEND'] = '{backend}'", "panels.E001")
    if error:
        errors.append(error)
    for scheme, dotted in settings.TRANSPORT_BACKENDS.items():
        error = _import_error(dotted, f"TRANSPORT_BACKENDS['{scheme}']", "panels.E002")
        if error:
            errors.append(error)
    return errors
