"""The environment of every process we start (tar, mysql, mysqldump, php, dpkg-query).

Ours holds ``SECRET_KEY``, ``FIELD_ENCRYPTION_KEYS``, the MySQL admin password and the
API keys; a child inherits none of it, only what a command needs to run (PATH, the
locale, HOME for the clients' own option files, TZ) plus what its caller names. A
child that needs a secret gets it another way (the mysql clients: a 0600
--defaults-extra-file).
"""

from __future__ import annotations

import os

PASSED = ("PATH", "LANG", "LC_ALL", "HOME", "TZ")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def child_env(**extra: str) -> dict[str, str]:
    """A minimal environment for ``subprocess.run(..., env=child_env())``."""
    env = {name: os.environ[name] for name in PASSED if os.environ.get(name)}
    env.setdefault("PATH", DEFAULT_PATH)
    env.setdefault("LANG", "C.UTF-8")
    env.update(extra)
    return env
