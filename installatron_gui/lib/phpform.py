"""Parse PHP-style bracket arrays, as Installatron's curl examples send them.

``websites[0][vhosts][http://company.com]=httpdocs`` becomes
``{"websites": [{"vhosts": {"http://company.com": "httpdocs"}}]}``: the nesting PHP's
``parse_str`` builds, with arrays whose keys are 0..n-1 turned into lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_BRACKETS = re.compile(r"\[([^\]]*)\]")
MAX_DEPTH = 8


class FormError(ValueError):
    pass


def _split(name: str) -> list[str]:
    head, sep, rest = name.partition("[")
    if not sep:
        return [name]
    parts = [head]
    rest = "[" + rest
    pos = 0
    for match in _BRACKETS.finditer(rest):
        if match.start() != pos:
            break
        parts.append(match.group(1))
        pos = match.end()
    if pos != len(rest):
        # PHP keeps trailing garbage; we refuse it rather than guess.
        raise FormError(f"malformed parameter name: {name[:80]}")
    if len(parts) > MAX_DEPTH:
        raise FormError("parameter nested too deeply")
    return parts


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict:
    """Build nested dicts/lists from (name, value) pairs. Later plain keys win."""
    root: dict = {}
    for name, value in pairs:
        parts = _split(name)
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "" and index > 0:
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
                break
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    keys = list(converted)
    if keys and all(k.isdigit() for k in keys) and sorted(int(k) for k in keys) == list(
        range(len(keys))
    ):
        return [converted[str(i)] for i in range(len(keys))]
    return converted
