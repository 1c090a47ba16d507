"""Writing tables as CSV and XLSX, row by row: nothing is held but the row being written.

CSV is UTF-8 with a byte-order mark (so Excel reads Persian), comma-separated, or semicolon-separated for the
Russian and Kazakh Excel whose list separator it is; a cell that a spreadsheet would run as a formula (it begins
with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe. XLSX comes from XlsxWriter in
its constant-memory mode, right-to-left for Persian, with dates as real dates.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEMICOLON_LOCALES = frozenset({"ru", "kk"})
CHUNK = 64 * 1024


def neutralized(value: Any) -> Any:
    """A text cell that cannot run as a formula; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes")[:16]
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_chunks(header: list[str], rows: Iterable[list[Any]], locale: str) -> Iterator[bytes]:
    """The CSV file in pieces of about 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if locale in SEMICOLON_LOCALES else ",", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralized(h) for h in header])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(header: list[str], rows: Iterable[list[Any]], *, sheet: str, rtl: bool) -> IO[bytes]:
    """The XLSX file, written to a temporary file (XlsxWriter's constant-memory mode flushes every row) and
    handed back open at its start; it is deleted when closed."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller streams it and closes it
    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "tmpdir": tempfile.gettempdir(), "strings_to_formulas": False}
    )
    page = book.add_worksheet(sheet[:31])
    if rtl:
        page.right_to_left()
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    page.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                page.write_datetime(r, c, value.replace(tzinfo=None), when)
            elif isinstance(value, date):
                page.write_datetime(r, c, datetime(value.year, value.month, value.day), day)  # noqa: DTZ001
            elif value is None:
                page.write_blank(r, c, None)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                page.write_number(r, c, value)
            else:
                page.write_string(r, c, str(value))  # a string cell, never a formula
    book.close()
    out.seek(0)
    return out


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """A file's contents in pieces, closing (and so deleting) it at the end."""
    try:
        while piece := handle.read(CHUNK):
            yield piece
    finally:
        handle.close()
