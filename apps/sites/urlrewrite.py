"""Replace a site's URL in database values, PHP-serialized ones included (a copy at a
new address, an install moved by an edit).

PHP applications store arrays and objects with PHP's ``serialize()``, where
every string carries its length in BYTES (``s:5:"héllo"`` is wrong, ``s:6:`` is right).
A plain text replace that changes a string's length makes ``unserialize()`` fail and the
whole value (widgets, theme options) silently vanishes. So a value that parses as
serialized data is rewritten string by string and re-serialized with correct lengths; a
string inside it that is itself serialized (double-serialized, common) is handled the
same way, recursively. Anything else is treated as text.

The matching rule: the old URL is replaced only where it stands as a whole URL prefix.
It must not be preceded by a character that could continue a scheme, and must not be
followed by a character that continues the host name, the port or the last path
segment: for ``http://a.test``, ``http://a.test.evil``, ``http://a.test2``,
``http://a.test:8080``, ``http://a.test-x`` and ``http://a.test@evil`` are left alone,
while ``http://a.test/``, ``http://a.test?p=1``, ``http://a.test"`` and a sentence-ending
``http://a.test.`` are rewritten. Matching is byte-exact (scheme and host case included),
and the JSON-escaped form (``http:\\/\\/a.test``) is rewritten too.
"""

from __future__ import annotations

import re

from .database import TABLE_RE

MAX_DEPTH = 64
# The column types whose values rewrite_tables looks at.
TEXT_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json"}


class _NotSerialized(Exception):
    pass


def _pattern(old: bytes) -> re.Pattern:
    return re.compile(rb"(?<![A-Za-z0-9+.\-])" + re.escape(old)
                      + rb"(?![A-Za-z0-9_\-@]|[.:][A-Za-z0-9])")


class UrlRewriter:
    """``UrlRewriter(old, new).value(b"...")`` -> the value with ``old`` replaced."""

    def __init__(self, old: str, new: str):
        old, new = old.rstrip("/"), new.rstrip("/")
        if not old:
            raise ValueError("the old URL is empty")
        self.old, self.new = old, new
        pairs = [(old, new), (old.replace("/", "\\/"), new.replace("/", "\\/"))]
        self._pairs = [(_pattern(o.encode()), n.encode()) for o, n in dict(pairs).items()]
        # Cheap pre-check: a value without the host bytes needs no work.
        self._needles = [o.encode() for o, _ in dict(pairs).items()]

    def touches(self, data: bytes) -> bool:
        return any(n in data for n in self._needles)

    def text(self, data: bytes) -> bytes:
        for pattern, new in self._pairs:
            data = pattern.sub(lambda _m, new=new: new, data)
        return data

    def value(self, data: bytes | str) -> bytes | str:
        """Rewrite one database value (bytes, or str which is handled as UTF-8)."""
        as_text = isinstance(data, str)
        raw = data.encode("utf-8") if as_text else data
        if not self.touches(raw):
            return data
        out = self._any(raw, 0)
        return out.decode("utf-8") if as_text else out

    def rewrite_tables(self, conn, tables: list[str]) -> int:
        """Replace the old URL in every text column of ``tables``; returns values changed.

        Works on distinct values compared byte for byte, so tables need no primary key and a
        case-insensitive collation cannot make one row's new value land on another's.
        """
        cur = conn.cursor()
        changed = 0
        needles = list(self._needles)
        for table in tables:
            if not TABLE_RE.match(table):
                continue
            cur.execute("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
                        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table,))
            columns = [c for c, t in cur.fetchall() if t.lower() in TEXT_TYPES
                       and re.match(r"^[A-Za-z0-9_$]{1,64}$", c)]
            for column in columns:
                like = " OR ".join(f"`{column}` LIKE %s" for _ in needles)
                args = ["%" + n.decode().replace("\\", "\\\\").replace("%", r"\%")
                        .replace("_", r"\_") + "%" for n in needles]
                cur.execute(f"SELECT DISTINCT CAST(`{column}` AS BINARY) FROM `{table}` "  # noqa: S608 (names from SHOW TABLES/COLUMNS)
                            f"WHERE {like}", args)
                for (value,) in cur.fetchall():
                    value = bytes(value)
                    new = self.value(value)
                    if new != value:
                        cur.execute(f"UPDATE `{table}` SET `{column}` = %s "  # noqa: S608 (names from SHOW TABLES/COLUMNS)
                                    f"WHERE CAST(`{column}` AS BINARY) = %s",
                                    (new.decode("utf-8", "surrogateescape"), value))
                        changed += cur.rowcount
        conn.commit()
        return changed

    def _any(self, raw: bytes, depth: int) -> bytes:
        if depth < MAX_DEPTH and _looks_serialized(raw):
            try:
                out, end = self._serialized(raw, 0, depth)
                if end == len(raw):
                    return out
            except _NotSerialized:
                pass
        return self.text(raw)

    # -- PHP serialize() grammar, rebuilt as we go
    def _serialized(self, raw: bytes, pos: int, depth: int) -> tuple[bytes, int]:
        if depth >= MAX_DEPTH:
            raise _NotSerialized
        kind = raw[pos:pos + 1]
        if kind == b"N":
            _expect(raw, pos + 1, b";")
            return b"N;", pos + 2
        if kind in (b"b", b"i", b"d", b"r", b"R"):
            _expect(raw, pos + 1, b":")
            end = raw.find(b";", pos + 2)
            if end < 0 or not re.fullmatch(rb"[-+0-9.eEINFAna]+", raw[pos + 2:end]):
                raise _NotSerialized
            return raw[pos:end + 1], end + 1
        if kind == b"s":
            inner, end = _string(raw, pos)
            _expect(raw, end, b";")
            new = self._any(inner, depth + 1) if self.touches(inner) else inner
            return b's:%d:"%s";' % (len(new), new), end + 1
        if kind == b"E":  # PHP 8.1 enum case: kept as is
            _, end = _string(raw, pos)
            _expect(raw, end, b";")
            return raw[pos:end + 1], end + 1
        if kind == b"a":
            _expect(raw, pos + 1, b":")
            count, pos2 = _count(raw, pos + 2)
            return self._members(raw, pos2, count, depth, b"a:%d:" % count)
        if kind == b"O":
            name, end = _string(raw, pos)
            _expect(raw, end, b":")
            count, pos2 = _count(raw, end + 1)
            head = b'O:%d:"%s":%d:' % (len(name), name, count)
            return self._members(raw, pos2, count, depth, head)
        if kind == b"C":  # custom serialize(): opaque to us, kept byte for byte
            name, end = _string(raw, pos)
            _expect(raw, end, b":")
            count, pos2 = _count(raw, end + 1)
            _expect(raw, pos2, b"{")
            close = pos2 + 1 + count
            _expect(raw, close, b"}")
            return raw[pos:close + 1], close + 1
        raise _NotSerialized

    def _members(self, raw, pos, count, depth, head) -> tuple[bytes, int]:
        _expect(raw, pos, b"{")
        pos += 1
        parts = [head, b"{"]
        for _ in range(count * 2):
            out, pos = self._serialized(raw, pos, depth + 1)
            parts.append(out)
        _expect(raw, pos, b"}")
        parts.append(b"}")
        return b"".join(parts), pos + 1


def _looks_serialized(raw: bytes) -> bool:
    return len(raw) >= 4 and raw[:1] in b"abdiONsCE" and raw[1:2] in (b":", b";") \
        and raw[-1:] in (b";", b"}")


def _expect(raw: bytes, pos: int, token: bytes) -> None:
    if raw[pos:pos + len(token)] != token:
        raise _NotSerialized


def _count(raw: bytes, pos: int) -> tuple[int, int]:
    """Digits up to ':' starting at pos; returns (number, position after the colon)."""
    end = raw.find(b":", pos)
    digits = raw[pos:end] if end >= 0 else b""
    if not digits.isdigit() or len(digits) > 12:
        raise _NotSerialized
    return int(digits), end + 1


def _string(raw: bytes, pos: int) -> tuple[bytes, int]:
    """``X:<len>:"<bytes>"`` at pos -> (bytes, position after the closing quote)."""
    _expect(raw, pos + 1, b":")
    length, start = _count(raw, pos + 2)
    _expect(raw, start, b'"')
    end = start + 1 + length
    if end > len(raw):
        raise _NotSerialized
    _expect(raw, end, b'"')
    return raw[start + 1:end], end + 1
