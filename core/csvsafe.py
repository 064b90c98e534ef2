"""CSV formula-injection guard shared by every CSV export and the import parser.

A spreadsheet treats a cell starting with `=`, `+`, `-`, `@`, tab or CR as a
formula. `neutralise` prefixes such cells with `'` (except plain numbers, so
`-12.5` stays a number) and `restore` strips exactly that prefix again, so an
exported file re-imports unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _needs_guard(cell: str) -> bool:
    return cell.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(cell)


def neutralise(cell: str) -> str:
    """The cell made safe to open in a spreadsheet; `restore` undoes it exactly."""
    # A cell that already looks guarded ('=x, ''=x) gets one more quote, so restore() gives it back intact.
    return "'" + cell if _needs_guard(cell.lstrip("'")) else cell


def restore(cell: str) -> str:
    """Undo `neutralise`: strip the one leading quote it adds, nothing else."""
    return cell[1:] if cell.startswith("'") and _needs_guard(cell.lstrip("'")) else cell


class _SafeWriter:
    """A csv.writer whose every cell goes through `neutralise`."""

    def __init__(self, stream: TextIO, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise("" if cell is None else str(cell)) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: TextIO, **kwargs: Any) -> _SafeWriter:
    """`csv.writer(stream)` that neutralises every cell it writes."""
    return _SafeWriter(stream, **kwargs)
