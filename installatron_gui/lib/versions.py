"""Version numbers compared as numbers: 6.1.10 > 6.1.9 > 6.1 > 6.1-RC1 > 6.1-beta2."""

from __future__ import annotations

import re

_PART_RE = re.compile(r"(\d+)|([A-Za-z]+)")
# Pre-release words sort before the release they lead to; anything unknown sorts after them.
_PRE = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "rc": 3, "pre": 3}
_RELEASE = (2, 0, "")


def version_key(version: str) -> tuple:
    """A sort key: numbers compare numerically, ``-beta1``/``-RC2`` come before the release."""
    parts: list[tuple] = []
    for number, word in _PART_RE.findall(str(version)):
        if number:
            parts.append((2, int(number), ""))
        else:
            word = word.lower()
            parts.append((1, _PRE.get(word, 4), word))
    # 6.1 == 6.1.0: trailing zero parts do not count.
    while parts and parts[-1] == _RELEASE:
        parts.pop()
    # Padding with a release marker puts 6.1 after 6.1-rc1 ((1, 3, "rc") < (2, 0, "")).
    return tuple(parts) + (_RELEASE,)


def compare(a: str, b: str) -> int:
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def numbers(version: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", str(version))]


def same_branch(a: str, b: str, depth: int) -> bool:
    """True when the first ``depth`` numbers agree (6.1.2 and 6.1.9 at depth 2)."""
    na, nb = numbers(a), numbers(b)
    na += [0] * (depth - len(na))
    nb += [0] * (depth - len(nb))
    return na[:depth] == nb[:depth]


def upgrade_kind(from_version: str, to_version: str, *, depth: int, upgradable: bool = True) -> str:
    """The browser API's ``upgrade_from``: ``none``, ``manual``, ``minor`` or ``major``."""
    if compare(to_version, from_version) <= 0:
        return "none"
    if not upgradable:
        return "manual"
    return "minor" if same_branch(from_version, to_version, depth) else "major"


def release_kind(version: str, *, depth: int) -> str:
    """The browser API's ``upgrade`` of a release: a point release (6.1.9) is ``minor``."""
    return "minor" if any(numbers(version)[depth:]) else "major"
