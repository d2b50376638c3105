"""Reading the files a person writes by hand (a theme's questions, a finding's actions).

Every problem is one line that names the file and the line, so it can be fixed
in the file and the command run again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator


class FileError(ValueError):
    """A file that cannot be read; the message is one line naming the line."""


def csv_rows(text: str, source: str, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each data line; blank lines and '#' comments are skipped."""
    columns: list[str] | None = None
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            cells = [cell.strip() for cell in next(csv.reader([line], strict=True))]
        except csv.Error as exc:
            raise FileError(f"{source} line {number}: malformed CSV ({exc})") from None
        if columns is None:
            if sorted(cell.lower() for cell in cells) != sorted(header):
                raise FileError(f"{source} line {number}: the header must be {','.join(header)}")
            columns = [cell.lower() for cell in cells]
            continue
        if len(cells) != len(columns):
            raise FileError(
                f"{source} line {number}: expected {len(columns)} values ({','.join(columns)}), got {len(cells)};"
                " put a value containing commas in double quotes"
            )
        yield number, dict(zip(columns, cells, strict=True))
    if columns is None:
        raise FileError(f"{source}: missing the header line '{','.join(header)}'")
