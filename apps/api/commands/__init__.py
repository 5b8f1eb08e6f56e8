"""Command modules register themselves with the dispatcher on import."""

from . import users  # noqa: F401
from . import browser  # noqa: F401
from . import installs  # noqa: F401
from . import admin  # noqa: F401
from . import backups  # noqa: F401
from . import updates  # noqa: F401
from . import manage  # noqa: F401
from . import imports  # noqa: F401
