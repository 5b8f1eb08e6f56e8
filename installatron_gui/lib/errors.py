"""The base of every app's user-fixable error: an Installatron errcode plus a sentence."""

from __future__ import annotations

# The HTTP status of each errcode whose status does not depend on where it is raised:
# the reference's table (403 invalid_api_key; 500 failed_database_create and
# failed_filesystem_permission) and ours. An error raised without ``status`` takes its
# errcode's status from here, else its class's (400 unless the class says otherwise), so
# the API answers one status per errcode. Left out on purpose, as their status depends on
# the call: invalid_argument_id and invalid_argument_user (404 to a stranger, 403 when not
# allowed, 400 when malformed), failed_filesystem_missing, failed_database (a missing
# folder or database the caller named is theirs to fix, one we recorded is our failure).
STATUSES: dict[str, int] = {
    "invalid_api_key": 403,
    "suspended_user": 403,
    "empty_argument_cmd": 404,
    "invalid_argument_cmd": 404,
    "invalid_route": 404,
    "invalid_method": 405,
    "busy": 409,
    "request_too_large": 413,
    "failed_addon_site": 500,
    "failed_backup": 500,
    "failed_config": 500,
    "failed_database_create": 500,
    "failed_filesystem_host": 500,
    "failed_filesystem_permission": 500,
    "failed_http": 500,
    "failed_install": 500,
    "failed_package_checksum": 500,
    "failed_package_missing": 500,
    "failed_sync": 500,
    "failed_template": 500,
    "failed_upgrade": 500,
    "unsupported_addons": 501,
    "unsupported_cmd": 501,
    "failed_download": 502,
    "failed_no_worker": 503,
}


def status_for(errcode: str) -> int:
    """The HTTP status of a failure known only by its errcode (a failed task's row): its
    own (``STATUSES``), else 500 for our failures (``failed...``), 400 for the caller's."""
    if errcode in STATUSES:
        return STATUSES[errcode]
    return 500 if errcode.startswith("failed") else 400


class InstallatronError(Exception):
    """An error the caller can fix. ``errcode`` and ``status`` are Installatron's; without
    ``status`` the errcode's own (``STATUSES``) applies, else the class's."""

    errcode = "failed"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        errcode: str | None = None,
        status: int | None = None,
        field: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        if errcode is not None:
            self.errcode = errcode
        if status is not None:
            self.status = status
        elif self.errcode in STATUSES:
            self.status = STATUSES[self.errcode]
        self.field = field


class InstallError(InstallatronError):
    """A problem with an install the caller can fix: a bad argument, a busy install,
    a database or folder that refuses us. ``field`` names the offending parameter.

    Defined here, below the engine, because application recipes raise it too (through
    ``apps.recipes.base``); ``apps.installs.errors`` re-exports it.
    """

    errcode = "failed"
