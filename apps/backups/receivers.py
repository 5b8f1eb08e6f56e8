"""What the backups app does when installs (the layer below, which may not import it)
change: connected by BackupsConfig.ready()."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.installs.models import Install
from apps.installs.signals import forget_backups

from .locations import remember
from .models import Backup


@receiver(post_save, sender=Install)
def remember_bkloc(sender, instance: Install, update_fields=None, **kwargs) -> None:
    """The reference: a bkloc URI given at install or edit time is associated with the
    user, i.e. saved as one of the user's backup locations."""
    if instance.bkloc and (update_fields is None or "bkloc" in update_fields):
        remember(instance.account, instance.bkloc)


@receiver(forget_backups, sender=Install)
def forget_install_backups(sender, install: Install, **kwargs) -> None:
    Backup.objects.filter(Q(install=install) | Q(install_ref=install.id)).delete()
