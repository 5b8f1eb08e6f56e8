"""The audit log of changes made in the GUI (the console, brandings): who, when, what."""

from __future__ import annotations

from .models import Account, AuditEntry


def record(actor: Account, action: str, target: str = "", detail: str = "") -> AuditEntry:
    """Write one entry. ``detail`` says what changed, never a secret's value."""
    return AuditEntry.objects.create(actor=actor.username, action=action[:48],
                                     target=str(target)[:128], detail=str(detail)[:500])


def changes(before: dict, after: dict, secret: tuple[str, ...] = ()) -> str:
    """``name: old -> new`` for each value that changed; secrets only as "changed"."""
    parts = []
    for name, value in after.items():
        old = before.get(name)
        if old == value:
            continue
        parts.append(f"{name}: changed" if name in secret else f"{name}: {old!r} -> {value!r}")
    return "; ".join(parts)
