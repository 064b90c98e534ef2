"""Text that cannot be stored: lone UTF-16 surrogates.

JSON may spell a surrogate code point on its own (`"\\ud800"`); Python then holds a str that
no UTF-8 encoder — PostgreSQL's included — can write, so it must be refused at the door with
the field's name instead of failing deep in the database driver.
"""

from __future__ import annotations

import re
from typing import Any

SURROGATE = re.compile("[\ud800-\udfff]")
REASON = "contains a lone surrogate (U+D800–U+DFFF), which is not valid Unicode text"


def first_bad_text(data: Any, path: str = "") -> str | None:
    """The path (`title`, `items.2.name`) of the first string or key holding a lone surrogate."""
    if isinstance(data, str):
        return path or "non_field_errors" if SURROGATE.search(data) else None
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and SURROGATE.search(key):
                return path or "non_field_errors"
            found = first_bad_text(value, name)
            if found:
                return found
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found = first_bad_text(value, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None
