"""PHP values read and written without running PHP: configuration files as tokens
(``define('NAME', literal)`` and ``$var = literal;``, comments and strings understood),
single-quoted literals, and ``serialize()``'s format for plain values.

Applications keep their settings in these forms (a ``wp-config.php``, serialized options
in a table); recipes read them here and never evaluate them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def php_quote(value: str) -> str:
    """Escape for a PHP single-quoted string: backslash and quote."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def php_unquote(literal: str) -> str:
    """The value of a single-quoted PHP literal (quotes included)."""
    return re.sub(r"\\([\\'])", r"\1", literal[1:-1])


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|\#[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<open><\?php|<\?=|<\?|\?>)
  | (?P<sq>'(?:[^'\\]|\\.)*')
  | (?P<dq>"(?:[^"\\]|\\.)*")
  | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<name>[A-Za-z_\\][A-Za-z0-9_\\]*)
  | (?P<num>[0-9]+(?:\.[0-9]+)?)
  | (?P<punct>.)
""", re.S | re.X)


@dataclass
class Token:
    kind: str
    text: str
    start: int
    end: int

    def value(self):
        """The PHP value of a literal token, or None when it is not a plain literal."""
        if self.kind == "sq":
            return re.sub(r"\\([\\'])", r"\1", self.text[1:-1])
        if self.kind == "dq":
            body = self.text[1:-1]
            if "$" in body or "{" in body:
                return None  # interpolation: not a constant we can know without PHP
            simple = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "$": "$", "r": "\r"}
            return re.sub(r"\\(.)", lambda m: simple.get(m.group(1), m.group(0)), body)
        if self.kind == "num":
            return self.text
        if self.kind == "name" and self.text.lower() in ("true", "false", "null"):
            return self.text.lower()
        return None


def php_tokens(source: str) -> list[Token]:
    """The code tokens of a PHP file (comments and white space dropped)."""
    tokens = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        if kind in ("ws", "comment", "open"):
            continue
        tokens.append(Token(kind, match.group(), match.start(), match.end()))
    return tokens


@dataclass
class PhpSettings:
    """``define('NAME', literal)`` calls and ``$var = literal;`` assignments of a file,
    each with the token of its value (for rewriting in place, see ``set_php_settings``).
    The first one counts, as in PHP; names set more than once are in ``repeated``."""

    defines: dict = field(default_factory=dict)
    variables: dict = field(default_factory=dict)
    repeated: set = field(default_factory=set)

    def define(self, name: str) -> str | None:
        token = self.defines.get(name)
        return token.value() if token else None

    def variable(self, name: str) -> str | None:
        token = self.variables.get(f"${name}")
        return token.value() if token else None


def read_php_settings(source: str) -> PhpSettings:
    """The settings of a PHP configuration file; variables are keyed with their ``$``."""
    tokens = php_tokens(source)
    found = PhpSettings()
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1: i + 6]
        if (tok.kind == "name" and tok.text.lower() == "define" and len(nxt) >= 5
                and nxt[0].text == "(" and nxt[1].kind in ("sq", "dq") and nxt[2].text == ","
                and nxt[4].text == ")" and nxt[3].value() is not None):
            name = nxt[1].value()
            if name and name in found.defines:
                found.repeated.add(name)
            elif name:
                found.defines[name] = nxt[3]
        elif (tok.kind == "var" and len(nxt) >= 3 and nxt[0].text == "="
              and nxt[2].text == ";" and nxt[1].value() is not None
              and (i == 0 or tokens[i - 1].text in (";", "{", "}"))):
            if tok.text in found.variables:
                found.repeated.add(tok.text)
            found.variables.setdefault(tok.text, nxt[1])
    return found


def set_php_settings(source: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """``source`` with the plain values of defines (``"DB_NAME"``) and variables
    (``"$table_prefix"``) replaced by single-quoted strings, in place: the rest of the
    file, its comments and layout stay as they were. Returns the new source and the names
    that were not set exactly once (left unchanged: the caller decides whether that is
    an error)."""
    found = read_php_settings(source)
    edits, unusable = [], []
    for name, value in values.items():
        table = found.variables if name.startswith("$") else found.defines
        token = table.get(name)
        if token is None or name in found.repeated:
            unusable.append(name)
            continue
        edits.append((token.start, token.end, f"'{php_quote(value)}'"))
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    return source, unusable


# --------------------------------------------------------------------------- serialize()


def php_unserialize(data: bytes | str):
    """PHP's ``unserialize`` for what applications keep in options: arrays (as dicts in order),
    strings, integers, floats, booleans and null. Objects and references are refused,
    so nothing in an option can make us build anything but plain values."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    value, end = _unserialize(raw, 0, depth=0)
    if end != len(raw):
        raise ValueError("trailing data after the serialized value")
    return value


def _read_until(raw: bytes, pos: int, stop: bytes) -> tuple[bytes, int]:
    end = raw.find(stop, pos)
    if end < 0:
        raise ValueError("truncated serialized value")
    return raw[pos:end], end + 1


def _unserialize(raw: bytes, pos: int, *, depth: int):
    if depth > 32:
        raise ValueError("serialized value nested too deeply")
    if raw[pos:pos + 2] == b"N;":
        return None, pos + 2
    kind, colon = raw[pos:pos + 1], raw[pos + 1:pos + 2]
    if colon != b":" or kind not in b"sibda" or not kind:
        raise ValueError(f"unsupported serialized type at byte {pos}")
    pos += 2
    if kind == b"s":
        length, pos = _read_until(raw, pos, b":")
        size = int(length)
        if size < 0 or raw[pos:pos + 1] != b'"' or raw[pos + 1 + size:pos + 3 + size] != b'";':
            raise ValueError(f"bad string length at byte {pos}")
        text = raw[pos + 1:pos + 1 + size].decode("utf-8", errors="surrogateescape")
        return text, pos + 3 + size
    if kind in b"id":
        text, pos = _read_until(raw, pos, b";")
        return (int(text) if kind == b"i" else float(text)), pos
    if kind == b"b":
        text, pos = _read_until(raw, pos, b";")
        if text not in (b"0", b"1"):
            raise ValueError("bad boolean")
        return text == b"1", pos
    count_text, pos = _read_until(raw, pos, b":")
    count = int(count_text)
    if count < 0 or raw[pos:pos + 1] != b"{":
        raise ValueError("bad array header")
    pos += 1
    result: dict = {}
    for _ in range(count):
        key, pos = _unserialize(raw, pos, depth=depth + 1)
        if not isinstance(key, int | str):
            raise ValueError("array keys must be integers or strings")
        result[key], pos = _unserialize(raw, pos, depth=depth + 1)
    if raw[pos:pos + 1] != b"}":
        raise ValueError("unterminated array")
    return result, pos + 1


def php_serialize_list(items: list[str]) -> str:
    """``serialize(array_values($items))`` for a list of strings. PHP counts bytes."""
    parts = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError("only strings")
        parts.append(f'i:{index};s:{len(item.encode("utf-8"))}:"{item}";')
    return f"a:{len(items)}:{{{''.join(parts)}}}"
