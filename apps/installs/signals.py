"""Signals of the installs app, for the apps above it (installs may not import them).

``forget_backups(sender=Install, install=...)``
    The owner asked to forget the install's backup records (edit's ``delete-backups``);
    the archives stay on disk. apps/backups/receivers.py deletes the records.

A bkloc URI set on an install (install, edit) is saved as one of the owner's backup
locations by the backups app's ``post_save`` receiver on Install.
"""

from django.dispatch import Signal

forget_backups = Signal()
