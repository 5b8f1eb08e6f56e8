"""The one reading of a yes/no value (a checkbox field, a header's ``suspended``)."""

from __future__ import annotations

YES = frozenset({"1", "yes", "true", "on"})
NO = frozenset({"", "0", "no", "false", "off"})


def yes_no(value, yes=YES, no=NO) -> bool | None:
    """True or False for a bool or one of ``yes``/``no`` (any case, spaces ignored); None
    for anything else, which the caller refuses with its own errcode."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in yes:
        return True
    if text in no:
        return False
    return None
