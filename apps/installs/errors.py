"""The installs app's user-fixable error. It is defined in ``installatron_gui.lib.errors``
so that application recipes can raise it without importing the engine."""

from installatron_gui.lib.errors import InstallError

__all__ = ["InstallError"]
