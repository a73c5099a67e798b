"""RFC 8785 JSON Canonicalization Scheme for the values the log's records use.

Records hold only strings, integers, booleans, null, lists and objects, so the number rules of
RFC 8785 §3.2.2.3 reduce to integers written in decimal; an integer outside the IEEE 754 exact
range (±2**53) is refused, as is a float, because an I-JSON reader could not read it back exactly.
Object members are sorted by the UTF-16 code units of their names (§3.2.3) and strings are
escaped as §3.2.2.2 says: only `"`, `\\` and the controls below U+0020, with the short forms for
\\b \\f \\n \\r \\t and `\\u00xx` in lower-case hex for the others; everything else is UTF-8.
"""

import json

import orjson

MAX_SAFE = 2**53 - 1
_SCALARS = {str, bool, type(None)}

_SHORT = {
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}


def canonical(value) -> bytes:
    """The canonical UTF-8 bytes of `value`."""
    if type(value) is dict and flat(value.values()):
        # A record: strings, integers in range, booleans and null, one level of lists or maps.
        # orjson's sorted output is RFC 8785's when it is ASCII without an escape (names then
        # sort the same by code point and by UTF-16 unit); a non-string name raises here and
        # is refused below as it must be.
        try:
            data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            data = None
        if data is not None:
            if data.isascii() and b"\\" not in data:
                return data
            # An escape or a non-ASCII character (a signed note's newlines): `flat` checked every
            # value and orjson every name (a string, no lone surrogate), so Python's encoder
            # below writes RFC 8785 once no name leaves the BMP, without `_plain`'s second walk.
            if _bmp_names(value):
                return _python_json(value)
    if _plain(value):
        # For these values Python's encoder writes exactly RFC 8785: members sorted by code
        # point (the same order as UTF-16 units while no name leaves the BMP), the same short
        # escapes and lower-case `\u00xx`, integers in decimal. It runs in C; a lone surrogate
        # fails in `encode` as it must.
        return _python_json(value)
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode("utf-8")


def _python_json(value) -> bytes:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def _bmp_names(record: dict) -> bool:
    """True when no member name of the record or of a map in it leaves the BMP (those sort by
    code point as by UTF-16 unit); for records `flat` accepted."""
    for name, item in record.items():
        if not name.isascii() and max(map(ord, name)) > 0xFFFF:
            return False
        if type(item) is dict and not _bmp_names(item):
            return False
    return True


def flat(values) -> bool:
    """True when these values are exactly str, bool, None or int in range, or a list or dict of
    them (the shape of every record), checked without recursion: values orjson writes exactly as
    RFC 8785 does, once its sorted output is ASCII without an escape (`verify_log` asks too)."""
    for item in values:
        kind = type(item)
        if kind in _SCALARS or (kind is int and -MAX_SAFE <= item <= MAX_SAFE):
            continue
        if kind is dict:
            item = item.values()
        elif kind is not list:
            return False
        for inner in item:
            inner_kind = type(inner)
            if inner_kind in _SCALARS or (inner_kind is int and -MAX_SAFE <= inner <= MAX_SAFE):
                continue
            return False
    return True


def _plain(value) -> bool:
    """True when `value` holds only what the fast path writes canonically; raises for what no
    path may write (a float, an integer beyond ±2**53, a name that is not a string)."""
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                raise TypeError("Object member names must be strings.")
            if not name.isascii() and max(map(ord, name)) > 0xFFFF:
                return False
            if not _plain(item):
                return False
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        if abs(value) > MAX_SAFE:
            raise ValueError(f"{value} is outside the range RFC 8785 numbers keep exactly.")
        return True
    raise TypeError(f"{type(value).__name__} has no place in a log record.")


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if code in _SHORT:
            out.append(_SHORT[code])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError("A lone surrogate cannot be written as UTF-8 JSON.")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be")


def _write(value, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE:
            raise ValueError(f"{value} is outside the range RFC 8785 numbers keep exactly.")
        parts.append(str(int(value)))
    elif isinstance(value, str):
        parts.append(_string(value))
    elif isinstance(value, list | tuple):
        parts.append("[")
        for position, item in enumerate(value):
            if position:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    elif isinstance(value, dict):
        for name in value:
            if not isinstance(name, str):
                raise TypeError("Object member names must be strings.")
        parts.append("{")
        for position, name in enumerate(sorted(value, key=_utf16_key)):
            if position:
                parts.append(",")
            parts.append(_string(name))
            parts.append(":")
            _write(value[name], parts)
        parts.append("}")
    else:
        raise TypeError(f"{type(value).__name__} has no place in a log record.")
