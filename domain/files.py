"""Reading the files a person writes by hand (a theme's questions, a finding's actions).

Every problem is one line that names the file and the line, so it can be fixed
in the file and the command run again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator


class FileError(ValueError):
    """A file that cannot be read; the message is one line naming the line."""


class _Records:
    """The physical lines of a CSV text for csv.reader, noting where each record starts and what it
    spans. Blank lines and '#' comments between records are skipped (never inside a quoted value)."""

    def __init__(self, text: str) -> None:
        # Spreadsheet programs often save CSV with a byte order mark.
        self._lines = io.StringIO(text.removeprefix("\ufeff"), newline="")
        self.number = 0  # the physical line last read
        self.first = 0  # the line the current record starts on
        self.spans: list[str] = []

    def __iter__(self) -> _Records:
        return self

    def __next__(self) -> str:
        while True:
            line = next(self._lines)
            self.number += 1
            if self.spans or (line.strip() and not line.lstrip().startswith("#")):
                if not self.spans:
                    self.first = self.number
                self.spans.append(line)
                # Spaces a spreadsheet leaves after a closing quote are no part of any value.
                body = line.rstrip("\r\n")
                return body.rstrip(" \t") + line[len(body) :]


def csv_records(text: str, source: str, error: type[ValueError]) -> Iterator[tuple[int, list[str], str]]:
    """(line number, cells, the record's text) for each record of an RFC 4180 CSV text, every cell
    stripped: a quoted value may hold commas, quotes and line breaks. The one CSV reader of every
    file a person writes; malformed CSV is `error`, naming the line."""
    lines = _Records(text)
    reader = csv.reader(lines, skipinitialspace=True, strict=True)
    while True:
        lines.spans = []
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise error(f"{source} line {lines.first or lines.number}: malformed CSV ({exc})") from None
        yield lines.first, [cell.strip() for cell in cells], "".join(lines.spans).strip()


def csv_rows(text: str, source: str, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each data record; blank lines and '#' comments are skipped."""
    columns: list[str] | None = None
    for number, cells, _ in csv_records(text, source, FileError):
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
