from .celery import app as celery_app
from .lib import tarfix

# Before any archive is read: every process (web, worker, manage.py) imports this package.
tarfix.apply()

__all__ = ("celery_app",)

# The product's version (pyproject.toml's): the install records' ``agent`` member.
__version__ = "0.1.0"
