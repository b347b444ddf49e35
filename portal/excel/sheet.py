"""An app's Excel sheet, declared once: its layout, its columns and how a row reaches and
changes its record. The base builds the template from it, reads the upload back through the
bounded reader (portal.excel.reader), checks every row and commits it (portal.excel.imports).

The workbook is a data contract, so the layout is fixed and the column headers are Chinese in
every UI language (a file downloaded in English uploads in Chinese, and back):

- row 1: named cells the upload is checked against (e.g. B1 the period, D1 the organisation),
  each after its label, then a caption; row 2: how to fill it in;
- `header_row` (3): the headers; one row per record from `first_row` (4);
- grey columns are read-only and the sheet is protected without a password (it guards against
  slips, the server checks everything anyway); a second sheet says how to fill it in.

A column's `kind` decides how a cell is read (text, an amount in `unit`, a percentage), how it
is stored in the import's JSON, compared and shown in the preview. No rule is written here: a
value goes through the model field's validators and the app's `validate()` (its service), and the
commit through the app's `apply()` (its service), exactly as the web form does.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from portal.excel import reader
from portal.money import CENT, Unit, parse_number, to_unit

if TYPE_CHECKING:
    from portal.excel.models import ExcelImport
    from portal.models import User

TEXT, AMOUNT, PERCENT = "text", "amount", "percent"
PERCENT_FORMAT = "0.00"
READ_ONLY_FILL = PatternFill("solid", fgColor="E7E6E6")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")

problem_text = reader.problem_text


def cell_number(value: Any, *, percent: bool = False) -> Decimal | None:
    """A cell as the exact Decimal it shows, None when empty: a float as Excel displays it
    (15 significant digits: no binary noise from formulas such as 0.1 + 0.2), text read as
    portal.money reads a typed figure. Raises ValueError when it is not a number."""
    if not isinstance(value, int | float | Decimal | str | None):
        raise ValueError(value)
    if isinstance(value, float):
        value = f"{value:.15g}"
    return parse_number(value, percent=percent)


cell_text = reader.code_text


@dataclass(frozen=True)
class Column:
    """One column: its header (read back on upload), its width, the record field it fills
    ("" for a column shown for reference), its kind, the unit of an amount, and whether Excel's
    own check refuses a blank."""

    header: str
    width: int = 14
    field: str = ""
    kind: str = TEXT
    unit: Unit = Unit.WAN
    required: bool = False

    def parse(self, raw: Any) -> Any:
        """The cell's value in the record's terms (an amount in yuan); ValueError if it is not
        a number where one is wanted."""
        if self.kind == TEXT:
            return cell_text(raw)
        number = cell_number(raw, percent=self.kind == PERCENT)
        if self.kind == AMOUNT and number is not None:
            number = number * self.unit.value
            # 1.234567 万元 is 12345.67 yuan; trailing zeros are not extra decimal places. (A
            # number too long to quantize is left to the field's max_digits.)
            if number.adjusted() < 20 and number == number.quantize(CENT):
                number = number.quantize(CENT)
        return number

    def stored(self, value: Any) -> str:
        """A value as kept in the import's JSON."""
        if value is None:
            return ""
        if self.kind in (AMOUNT, PERCENT):
            return str(Decimal(value).quantize(CENT))
        return str(value)

    def loaded(self, text: str) -> Any:
        if self.kind in (AMOUNT, PERCENT):
            return Decimal(text) if text != "" else None
        return text

    def same(self, new: Any, old: Any) -> bool:
        if self.kind == TEXT:
            return new == cell_text(old)
        return new == old  # Decimals compare by value; None only equals None

    def shown(self, text: str) -> str:
        """A stored value as the preview shows it: amounts in the column's unit."""
        if text == "":
            return "—"
        if self.kind == AMOUNT:
            value = Decimal(text) / self.unit.value
            whole, _dot, decimals = f"{value:,.{self.unit.decimals}f}".partition(".")
            return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"
        if self.kind == PERCENT:
            return f"{Decimal(text).normalize():f}%"
        return text

    def cell_value(self, value: Any) -> Any:
        """A record's value as the template shows it (amounts given in yuan)."""
        return to_unit(value, self.unit) if self.kind == AMOUNT else value

    @property
    def number_format(self) -> str:
        if self.kind == AMOUNT:
            # Shown with two decimals, as every page shows amounts; the cell keeps the exact
            # value (to the fen), so a row left as it was uploads unchanged.
            return "#,##0.00"
        return PERCENT_FORMAT if self.kind == PERCENT else ""


class Sheet:
    """An app's workbook. Subclasses set the class attributes and implement the methods below
    `apply`; see reporting/excel.py."""

    title: str = "Sheet1"
    help_title: str = "说明"
    header_row = 3
    first_row = 4
    # Named cells of row 1 read back on upload, by name: {"period": (1, 2)} is B1.
    target_cells: dict[str, tuple[int, int]] = {}
    target_labels: dict[str, Any] = {}
    key: Column  # the column by which a row finds its record
    columns: list[Column] = []
    import_model: type[ExcelImport]
    import_related: tuple[str, ...] = ("organisation",)
    # Errors of the app's service meaning "changed by someone else since the upload".
    conflict_errors: tuple[type[Exception], ...] = ()
    key_label = gettext_lazy("Record")
    note = gettext_lazy(
        "Fill in the white columns only; the grey ones are for reference. Do not change the "
        "cells of row 1 or the headers."
    )
    no_target_message = gettext_lazy(
        "The file does not say what it is for (row 1): download the template from the portal."
    )
    missing_key_message = gettext_lazy("Enter the code.")
    unknown_key_message = gettext_lazy("You may not change a record with this code.")
    repeated_key_message = gettext_lazy("This code is already in row %(row)s.")
    forbidden_message = gettext_lazy("You may not change this record.")
    conflict_message = gettext_lazy(
        "%(code)s was changed in the portal after your upload. Nothing was saved: upload the "
        "file again to see the current values."
    )
    committed_message = gettext_lazy("%(count)s records were updated from the file.")

    # --- what an app implements ---

    def changeable(self, *, actor: User) -> models.QuerySet:
        """The records `actor` may change, with what describe() and refusal() read."""
        raise NotImplementedError

    def records(self, *, actor: User, scope: dict[str, Any]) -> dict[str, models.Model]:
        """The records of the import's scope `actor` may change, by key."""
        raise NotImplementedError

    def describe(self, record: models.Model) -> str:
        """The record's name in the preview."""
        return str(record)

    def refusal(self, record: models.Model) -> str:
        """Why the record can no longer be changed, or "" if it can."""
        return ""

    def validate(self, record: models.Model, fields: dict[str, Any], *,
                 today: datetime.date) -> None:  # fmt: skip
        """The app's rules for these changed values (ValidationError by field)."""

    def apply(self, *, actor: User, record: models.Model, version: int | None,
              fields: dict[str, Any], today: datetime.date) -> None:  # fmt: skip
        """Change the record through the app's service."""
        raise NotImplementedError

    def help_lines(self) -> list[str]:
        return []

    # --- what the base derives ---

    @cached_property
    def editable(self) -> list[Column]:
        return [column for column in self.columns if column.field]

    @cached_property
    def column_of_field(self) -> dict[str, Column]:
        return {column.field: column for column in self.editable}

    def read(self, uploaded, *, limits: reader.Limits | None = None) -> reader.Upload:
        """The bounded reading of an upload laid out as this sheet (see portal.excel.reader)."""
        return reader.read_upload(uploaded, sheet=self, limits=limits)

    def check_layout(self, upload: reader.Upload, *, headers: set[str]) -> None:
        """Refuse a workbook that is not this sheet's template."""
        if not all(upload.cells.get(name) for name in self.target_cells):
            raise ValidationError(str(self.no_target_message), code="no_target")
        wanted = [self.key.header, *(column.header for column in self.editable)]
        missing = [header for header in wanted if header not in headers]
        if missing:
            raise ValidationError(
                _("Row %(row)s lacks the column(s) %(columns)s: download a new template.")
                % {"row": self.header_row, "columns": "、".join(f"「{h}」" for h in missing)},
                code="columns",
            )

    def field_problems(self, exc: ValidationError) -> list[tuple[str, str]]:
        """A service's ValidationError as (column header, message), "" for the whole row."""
        if hasattr(exc, "error_dict"):
            return [
                (self.column_of_field[name].header if name in self.column_of_field else "", text)
                for name, texts in exc.message_dict.items()
                for text in texts
            ]
        return [("", text) for text in exc.messages]

    # --- the template ---

    def build_template(self, *, targets: dict[str, str], caption: str,
                       rows: Iterable[dict[str, Any]]) -> bytes:  # fmt: skip
        """The workbook: row 1 the named cells (`targets`, by name) and `caption`, one row per
        dict of `rows` ({header: value}, amounts in yuan), and the help sheet."""
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = self.title
        for name, (row, column) in self.target_cells.items():
            sheet.cell(row, column - 1, str(self.target_labels[name])).font = Font(bold=True)
            sheet.cell(row, column, targets[name])
        last = max((column for _row, column in self.target_cells.values()), default=0)
        sheet.cell(1, last + 1, caption)
        note = sheet.cell(2, 1, str(self.note))
        note.font = Font(italic=True, color="595959")
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(self.columns))

        for index, column in enumerate(self.columns, start=1):
            cell = sheet.cell(self.header_row, index, column.header)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            sheet.column_dimensions[get_column_letter(index)].width = column.width

        row = self.first_row - 1
        for row, values in enumerate(rows, start=self.first_row):
            for index, column in enumerate(self.columns, start=1):
                cell = sheet.cell(row, index)
                _set(cell, column.cell_value(values.get(column.header)))
                if column.number_format:
                    cell.number_format = column.number_format
                elif column.field:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                if column.field:
                    cell.protection = Protection(locked=False)
                else:
                    cell.fill = READ_ONLY_FILL
        if row >= self.first_row:
            self._add_data_validation(sheet, last_row=row)
        sheet.freeze_panes = sheet.cell(self.first_row, 3)
        # Protected against slips (no password): resizing and sorting stay allowed.
        sheet.protection.sheet = True
        sheet.protection.formatColumns = False
        sheet.protection.formatRows = False
        sheet.protection.sort = False
        sheet.protection.autoFilter = False
        self._add_help_sheet(workbook)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def _add_data_validation(self, sheet, *, last_row: int) -> None:
        """Excel's own warnings while typing; the server checks again on upload."""
        for index, column in enumerate(self.columns, start=1):
            if not column.field or column.kind == TEXT:
                continue
            if column.kind == AMOUNT:
                rule = {"operator": "greaterThanOrEqual", "formula1": "0"}
                error = _("Amounts cannot be negative.")
            else:
                rule = {"operator": "between", "formula1": "0", "formula2": "100"}
                error = _("A percentage is between 0 and 100.")
            check = DataValidation(
                type="decimal",
                allow_blank=not column.required,
                showErrorMessage=True,
                error=error,
                **rule,
            )
            letter = get_column_letter(index)
            check.add(f"{letter}{self.first_row}:{letter}{last_row}")
            sheet.add_data_validation(check)

    def _add_help_sheet(self, workbook: Workbook) -> None:
        sheet = workbook.create_sheet(self.help_title)
        sheet.column_dimensions["A"].width = 110
        for row, line in enumerate(self.help_lines(), start=1):
            cell = sheet.cell(row, 1, str(line))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet["A1"].font = Font(bold=True, size=13)


def _set(cell, value: Any) -> None:
    # A text beginning with "=" would otherwise be written as a formula.
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
