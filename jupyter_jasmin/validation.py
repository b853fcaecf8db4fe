"""Checks of values that come from users: names, whole numbers in JSON bodies and in
query strings. One helper per kind of value, used everywhere that kind arrives."""

from __future__ import annotations

import re
from typing import Any

from .errors import BadRequest

# Pool and holding names: letters, digits, '.', '_' and '-', starting with a letter or
# digit. Matched whole with ``fullmatch`` (``$`` would let a trailing newline through).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
NAME_RULE = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"

# ASCII digits only: str.isdigit() also accepts '²' and '①', which int() refuses
WHOLE_NUMBER_TEXT = re.compile(r"-?[0-9]{1,18}")


def is_name(value: Any) -> bool:
    """Whether ``value`` is a valid pool or holding name."""
    return isinstance(value, str) and NAME_PATTERN.fullmatch(value) is not None


def field_name(label: str, key: str) -> str:
    """How a message names a field: as the form labels it, then its JSON key."""
    return f"{label} ('{key}')"


def at_least(minimum: float, asked: Any) -> str:
    """The end of a message about a value below its minimum."""
    return f"must be at least {minimum:g} ({quoted(asked)} asked)"


def at_most(maximum: float, asked: Any, where: str = "") -> str:
    """The end of a message about a value above its limit (``where``: whose limit)."""
    return f"must be at most {maximum:g}{where} ({quoted(asked)} asked)"


def whole_number(value: Any, key: str, label: str, minimum: int, maximum: int) -> int:
    """Check a count from a request body, naming the field and the limit when it is wrong
    ("Engines ('engines') must be at most 2 on this server (999 asked)")."""
    where = field_name(label, key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON's 2.0 is a whole number, as JSON Schema says
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{where} must be a whole number ({quoted(value)} asked)", key)
    if value < minimum:
        raise BadRequest(f"{where} {at_least(minimum, value)}", key)
    if value > maximum:
        raise BadRequest(f"{where} {at_most(maximum, value, ' on this server')}", key)
    return value


def whole_number_text(raw: str, field: str, minimum: int, maximum: int) -> int:
    """A whole number written in a query string, within ``minimum..maximum``."""
    if WHOLE_NUMBER_TEXT.fullmatch(raw) is None or not minimum <= int(raw) <= maximum:
        raise BadRequest(f"'{field}' must be a whole number from {minimum} to {maximum}")
    return int(raw)


def is_whole_number_text(raw: str) -> bool:
    """Whether ``raw`` is a whole number as a query string may carry it (ASCII digits)."""
    return WHOLE_NUMBER_TEXT.fullmatch(raw) is not None


def quoted(value: Any) -> str:
    """A value as it may be quoted back in a message: never hundreds of characters."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}…{text[-8:]} ({len(text)} characters)"


MAX_NESTING = 16


def check_nesting(value: Any, field: str = "the request body") -> None:
    """Refuse JSON nested deeper than any request needs (lists and objects)."""
    level = [value]
    for _ in range(MAX_NESTING + 1):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return
    raise BadRequest(f"{field} is nested too deeply (more than {MAX_NESTING} levels)")
