"""The base of every app's user-fixable error: an Installatron errcode plus a sentence."""

from __future__ import annotations


class InstallatronError(Exception):
    """An error the caller can fix. ``errcode`` and ``status`` are Installatron's."""

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
        self.field = field


class InstallError(InstallatronError):
    """A problem with an install the caller can fix: a bad argument, a busy install,
    a database or folder that refuses us. ``field`` names the offending parameter.

    Defined here, below the engine, because application recipes raise it too (through
    ``apps.recipes.base``); ``apps.installs.errors`` re-exports it.
    """

    errcode = "failed"
