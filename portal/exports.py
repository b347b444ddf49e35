"""Lists as Excel (.xlsx) files: a header row, then one row per object in the list's order.

A list view declares its columns as `(label, getter)` pairs (see FilteredListView); a getter is
a dotted attribute path ("project.owner", "get_status_display"; a method met on the way is
called) or a callable taking the object. Values keep their type: amounts and counts are numbers,
dates are dates, so that the file can be summed and sorted in Excel.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from portal.money import Unit, to_unit

Getter = str | Callable[[Any], Any]
ExportColumn = tuple[str, Getter]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {
    Decimal: "#,##0.00",
    datetime.date: "yyyy-mm-dd",
    datetime.datetime: "yyyy-mm-dd hh:mm",
}
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


def amount(path: str, unit: Unit = Unit.WAN) -> Callable[[Any], Decimal | None]:
    """A getter for an amount stored in yuan, exported in `unit` (label the column so)."""

    def getter(obj: Any) -> Decimal | None:
        return to_unit(resolve(obj, path), unit)

    return getter


def wan(path: str) -> Callable[[Any], Decimal | None]:
    """A getter for an amount stored in yuan, exported in 万元 (label the column so)."""
    return amount(path, Unit.WAN)


def resolve(obj: Any, getter: Getter) -> Any:
    """The value `getter` reads from `obj`; None if a link on the way is empty."""
    if callable(getter):
        return getter(obj)
    value = obj
    for name in getter.split("."):
        if value is None:
            return None
        value = getattr(value, name)
        if callable(value):
            value = value()
    return value


def cell_value(value: Any) -> Any:
    """A Python value as openpyxl writes it: numbers and dates kept, the rest as text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float | Decimal | datetime.date):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
        return value
    return str(value)  # model instances, lazy translations, ...


def _cell(sheet, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula (a name typed as "=..." stays a name)
    for kind, number_format in NUMBER_FORMATS.items():
        if type(value) is kind:
            cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    return cell


def build_xlsx(
    objects: Iterable[Any], columns: Sequence[ExportColumn], *, sheet_title: str = ""
) -> bytes:
    """The workbook: one sheet, a bold frozen header row with a filter, then the rows."""
    return build_workbook([(sheet_title, objects, columns)])


def build_workbook(sheets: Sequence[tuple[str, Iterable[Any], Sequence[ExportColumn]]]) -> bytes:
    """A workbook of several such sheets: (title, rows, columns) each."""
    workbook = Workbook(write_only=True)
    for title, objects, columns in sheets:
        _write_sheet(workbook, title, objects, columns)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(workbook, title: str, objects: Iterable[Any],
                 columns: Sequence[ExportColumn]) -> None:  # fmt: skip
    sheet = workbook.create_sheet(_sheet_title(title))
    labels = [capfirst(str(label)) for label, _getter in columns]
    for index, label in enumerate(labels, start=1):
        # Chinese characters are about two columns wide.
        width = max(10, min(40, sum(2 if ord(c) > 0x2E80 else 1 for c in label) + 4))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, label, bold=True) for label in labels])
    count = 0
    for count, obj in enumerate(objects, start=1):  # noqa: B007 (count is read after the loop)
        sheet.append([_cell(sheet, cell_value(resolve(obj, getter))) for _l, getter in columns])
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{count + 1}"


def _sheet_title(title: str) -> str:
    # Excel refuses []:*?/\ in sheet names and more than 31 characters.
    return re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31] or "Sheet1"


def content_disposition(file_name: str, *, fallback: str = "export.xlsx") -> str:
    """An attachment header with the UTF-8 name (RFC 5987/6266) and an ASCII name for old
    clients."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback).strip("_") or "export.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def xlsx_response(
    objects: Iterable[Any],
    columns: Sequence[ExportColumn],
    *,
    file_name: str,
    fallback_name: str = "export.xlsx",
    sheet_title: str = "",
) -> HttpResponse:
    response = HttpResponse(
        build_xlsx(objects, columns, sheet_title=sheet_title), content_type=XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition(file_name, fallback=fallback_name)
    return response
