"""Excel batches of progress reports: the template a subsidiary downloads for a period, the
reading and checking of the file it uploads, and the commit that applies it all or nothing.

The workbook is a data contract, so its layout is fixed and its column headers are Chinese in
every UI language (a file downloaded in English uploads in Chinese, and back):

- sheet 进度填报: B1 the period code (2026-11, 2026-11-T2), D1 the organisation code, row 3 the
  headers, one row per report from row 4; grey columns are read-only and the sheet is protected
  (without a password: it guards against slips, the server checks everything anyway);
- sheet 说明: how to fill it in.

No rule is written here. A row's values go through the model fields' validators and
`services.report_validate`, and the commit through `services.report_save`, exactly as the web
form does; this module only maps their messages to Excel rows and columns.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from portal.access import Action
from portal.models import Organisation, User
from reporting import services
from reporting.choices import ReportAction, ReportStatus
from reporting.models import ProgressReport, ReportImport, ReportingPeriod
from reporting.selectors import MONEY, with_figures

WAN = Decimal(10_000)
CENT = Decimal("0.01")

SHEET_TITLE = "进度填报"
HELP_TITLE = "说明"
PERIOD_CELL, ORG_CELL = (1, 2), (1, 4)  # (row, column): B1 and D1
HEADER_ROW = 3
FIRST_ROW = 4
# Blank rows tolerated after the data (formatting copied down) before the file counts as too long.
BLANK_SLACK = 1000

CODE = "项目编号"
NAME = "项目名称"
INVESTMENT = "本期完成投资（万元）"
PROGRESS_TEXT = "形象进度"
PROGRESS_PCT = "形象进度（%）"
NEXT_STEPS = "下步计划"
EXPLANATION = "情况说明"
ANNUAL_PLAN = "年度计划投资（万元）"
YTD_BEFORE = "本年此前已通过投资（万元）"
LAST_PCT = "上期已通过形象进度（%）"
STATUS = "状态"

# Editable columns, by the report field each fills.
HEADER_OF_FIELD = {
    "investment": INVESTMENT,
    "progress_text": PROGRESS_TEXT,
    "progress_pct": PROGRESS_PCT,
    "next_steps": NEXT_STEPS,
    "explanation": EXPLANATION,
}
TEXT_FIELDS = ("progress_text", "next_steps", "explanation")
# (header, width, editable) in the order of the sheet.
COLUMNS = [
    (CODE, 16, False),
    (NAME, 30, False),
    (INVESTMENT, 16, True),
    (PROGRESS_TEXT, 36, True),
    (PROGRESS_PCT, 12, True),
    (NEXT_STEPS, 36, True),
    (EXPLANATION, 30, True),
    (ANNUAL_PLAN, 16, False),
    (YTD_BEFORE, 16, False),
    (LAST_PCT, 14, False),
    (STATUS, 10, False),
]
WAN_FORMAT = "#,##0.00####"  # 万元 to six decimals is yuan to the cent
PCT_FORMAT = "0.00"
READ_ONLY_FILL = PatternFill("solid", fgColor="E7E6E6")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")

CHANGED, UNCHANGED, INVALID = "changed", "unchanged", "invalid"


# --- the template --------------------------------------------------------------------------------


def template_reports(*, user: User, period: ReportingPeriod) -> QuerySet[ProgressReport]:
    """The reports of `period` that `user` sees, with what the template shows, in one query."""
    last_pct = (
        ProgressReport.objects.filter(
            project=OuterRef("project"),
            status=ReportStatus.ACCEPTED,
            period__start__lt=OuterRef("period__start"),
        )
        .order_by("-period__start")
        .values("progress_pct")[:1]
    )
    return (
        with_figures(ProgressReport.objects.for_user(user).filter(period=period))
        .select_related("project", "period")
        .annotate(last_accepted_pct=Subquery(last_pct, output_field=MONEY))
        .order_by("project__code")
    )


def template_file_name(*, organisation: Organisation, period: ReportingPeriod) -> str:
    return f"进度填报_{organisation.code}_{period.code}.xlsx"


def _set(cell, value: Any) -> None:
    # A text beginning with "=" would otherwise be written as a formula.
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def build_template(
    *, organisation: Organisation, period: ReportingPeriod, reports: QuerySet[ProgressReport]
) -> bytes:
    """The workbook for `organisation` and `period`, one row per report, pre-filled with the
    reports' current values. `reports` comes from template_reports()."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE

    sheet.cell(1, 1, _("Period"))
    sheet.cell(*PERIOD_CELL, period.code)
    sheet.cell(1, 3, _("Organisation"))
    sheet.cell(*ORG_CELL, organisation.code)
    sheet.cell(1, 5, f"{organisation.name} · {period}")
    for column in (1, 3):
        sheet.cell(1, column).font = Font(bold=True)
    sheet.cell(
        2,
        1,
        _(
            "Fill in the white columns only; the grey ones are for reference. Amounts in 10k "
            "yuan. Do not change cells B1 and D1 or the headers in row 3."
        ),
    ).font = Font(italic=True, color="595959")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(COLUMNS))

    for index, (header, width, _editable) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(HEADER_ROW, index, header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = width

    row = FIRST_ROW - 1
    for row, report in enumerate(reports, start=FIRST_ROW):
        ytd_before = report.ytd_investment - report.investment
        values = {
            CODE: report.project.code,
            NAME: report.project.name,
            INVESTMENT: report.investment / WAN,
            PROGRESS_TEXT: report.progress_text,
            PROGRESS_PCT: report.progress_pct,
            NEXT_STEPS: report.next_steps,
            EXPLANATION: report.explanation,
            ANNUAL_PLAN: report.annual_plan / WAN if report.annual_plan is not None else None,
            YTD_BEFORE: ytd_before / WAN,
            LAST_PCT: report.last_accepted_pct,
            STATUS: report.get_status_display(),
        }
        for index, (header, _width, editable) in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row, index)
            _set(cell, values[header])
            if header in (INVESTMENT, ANNUAL_PLAN, YTD_BEFORE):
                cell.number_format = WAN_FORMAT
            elif header in (PROGRESS_PCT, LAST_PCT):
                cell.number_format = PCT_FORMAT
            elif header in (PROGRESS_TEXT, NEXT_STEPS, EXPLANATION):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if editable:
                cell.protection = Protection(locked=False)
            else:
                cell.fill = READ_ONLY_FILL

    if row >= FIRST_ROW:
        _add_data_validation(sheet, last_row=row)
    sheet.freeze_panes = sheet.cell(FIRST_ROW, 3)
    # Protected against slips (no password): resizing and sorting stay allowed.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.sort = False
    sheet.protection.autoFilter = False

    _add_help_sheet(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_data_validation(sheet, *, last_row: int) -> None:
    """Excel's own warnings while typing; the server checks again on upload."""
    letter = {header: get_column_letter(i) for i, (header, _w, _e) in enumerate(COLUMNS, 1)}
    amount = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=False,
        showErrorMessage=True,
        error=_("Amounts cannot be negative."),
    )
    amount.add(f"{letter[INVESTMENT]}{FIRST_ROW}:{letter[INVESTMENT]}{last_row}")
    percent = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="100",
        allow_blank=True,
        showErrorMessage=True,
        error=_("A percentage is between 0 and 100."),
    )
    percent.add(f"{letter[PROGRESS_PCT]}{FIRST_ROW}:{letter[PROGRESS_PCT]}{last_row}")
    sheet.add_data_validation(amount)
    sheet.add_data_validation(percent)


def _add_help_sheet(workbook: Workbook) -> None:
    sheet = workbook.create_sheet(HELP_TITLE)
    sheet.column_dimensions["A"].width = 110
    lines = [
        _("How to fill in this file"),
        _(
            "1. Fill in the white columns of the sheet 进度填报, one row per project. Grey columns "
            "are for reference and are not read."
        ),
        _(
            "2. 本期完成投资（万元）: the investment completed in this period, in 10k yuan "
            "(enter 0 if none). The portal stores yuan: 1 here is 10,000 yuan."
        ),
        _("3. 形象进度（%）: a number from 0 to 100, without the % sign; it may be left empty."),
        _(
            "4. 情况说明: needed when the year to date passes the annual plan, or when progress "
            "is lower than the last accepted period."
        ),
        _(
            "5. Do not change the period (B1), the organisation (D1), the headers (row 3) or the "
            "project codes. Rows may be deleted: a project left out is not changed."
        ),
        _(
            "6. Only forms still open (draft or returned) can be changed. A row equal to what the "
            "portal holds is left as it is."
        ),
        _(
            "7. Upload the file in the portal: a preview lists every change and every problem by "
            "row and column. Nothing is saved until you confirm, and nothing is saved while any "
            "row has a problem."
        ),
    ]
    for row, line in enumerate(lines, start=1):
        cell = sheet.cell(row, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True, size=13)


# --- reading an upload ---------------------------------------------------------------------------


@dataclass
class UploadedSheet:
    """What an uploaded file says: for which period and organisation, and its data rows as
    (Excel row number, {column header: cell value})."""

    period_code: str
    organisation_code: str
    rows: list[tuple[int, dict[str, Any]]]


def file_sha256(uploaded) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def _code_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_upload(uploaded, *, max_bytes: int, max_rows: int) -> UploadedSheet:
    """Open an uploaded .xlsx and read its period, organisation and rows. Raises a
    ValidationError (for the file field) for anything that is not such a file."""
    if uploaded.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s KB; the limit is %(limit)s KB.")
            % {"size": -(-uploaded.size // 1024), "limit": max_bytes // 1024},
            code="too_large",
        )
    if not uploaded.name.lower().endswith(".xlsx"):
        raise ValidationError(
            _(
                "Upload an Excel workbook (.xlsx): download the template, fill it in and save it "
                "in the same format."
            ),
            code="extension",
        )
    unreadable = ValidationError(
        _(
            "This file cannot be read as an Excel workbook (.xlsx). Download the template, fill "
            "it in and save it in the same format."
        ),
        code="unreadable",
    )
    try:
        workbook = load_workbook(uploaded, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise unreadable from exc
    try:
        return _read_sheet(workbook, max_rows=max_rows, unreadable=unreadable)
    finally:
        workbook.close()


def _read_sheet(workbook, *, max_rows: int, unreadable: ValidationError) -> UploadedSheet:
    if SHEET_TITLE in workbook.sheetnames:
        sheet = workbook[SHEET_TITLE]
    elif workbook.worksheets:
        sheet = workbook.worksheets[0]
    else:
        raise unreadable
    last_row = HEADER_ROW + max_rows + BLANK_SLACK
    too_many = ValidationError(
        _("The file has more than %(max)s rows: split it into smaller files.") % {"max": max_rows},
        code="too_many_rows",
    )
    if (sheet.max_row or 0) > last_row:
        raise too_many
    period_code = organisation_code = ""
    headers: dict[int, str] = {}
    rows = []
    try:
        lines = sheet.iter_rows(min_row=1, max_row=last_row, values_only=True)
        for number, values in enumerate(lines, start=1):
            if number == PERIOD_CELL[0]:
                period_code = _cell(values, PERIOD_CELL[1])
                organisation_code = _cell(values, ORG_CELL[1])
            elif number == HEADER_ROW:
                headers = {i: str(v).strip() for i, v in enumerate(values) if v is not None}
            elif number >= FIRST_ROW and any(_code_text(v) for v in values):
                rows.append((number, {headers[i]: v for i, v in enumerate(values) if i in headers}))
                if len(rows) > max_rows:
                    raise too_many
    except ValidationError:
        raise
    except Exception as exc:  # a damaged sheet inside a valid zip
        raise unreadable from exc
    if not (period_code and organisation_code):
        raise ValidationError(
            _(
                "The file does not say which period and organisation it is for (cells B1 and "
                "D1): download the template from the portal."
            ),
            code="no_target",
        )
    missing = [h for h in (CODE, *HEADER_OF_FIELD.values()) if h not in headers.values()]
    if missing:
        raise ValidationError(
            _("Row %(row)s lacks the column(s) %(columns)s: download a new template.")
            % {"row": HEADER_ROW, "columns": "、".join(f"「{h}」" for h in missing)},
            code="columns",
        )
    return UploadedSheet(period_code, organisation_code, rows)


def _cell(values: tuple, column: int) -> str:
    return _code_text(values[column - 1]) if len(values) >= column else ""


def check_target(sheet: UploadedSheet, *, user: User, period: ReportingPeriod) -> None:
    """Refuse a file for another organisation, or another or unknown period."""
    if sheet.organisation_code != user.organisation.code:
        raise ValidationError(
            _(
                "This file is for the organisation “%(code)s”, not yours (%(own)s): download your "
                "own template."
            )
            % {"code": sheet.organisation_code, "own": user.organisation.code},
            code="organisation",
        )
    if not ReportingPeriod.objects.filter(
        **ReportingPeriod.lookup_for_code(sheet.period_code)
    ).exists():
        raise ValidationError(
            _("The file names the period “%(code)s”, which does not exist.")
            % {"code": sheet.period_code},
            code="period",
        )
    if sheet.period_code != period.code:
        raise ValidationError(
            _("This file is for the period %(file)s, but you chose %(chosen)s.")
            % {"file": sheet.period_code, "chosen": period.code},
            code="period",
        )


# --- checking the rows ---------------------------------------------------------------------------


def problem_text(row: int, column: str, message: str) -> str:
    if column:
        return _("Row %(row)s “%(column)s”: %(message)s") % {
            "row": row,
            "column": column,
            "message": message,
        }
    return _("Row %(row)s: %(message)s") % {"row": row, "message": message}


def _number(value: Any, *, percent: bool = False) -> Decimal | None:
    """A cell as a Decimal (None when empty); raises ValueError when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(value)
    if isinstance(value, float):
        value = f"{value:.15g}"  # what Excel shows: no binary noise from formulas (0.1 + 0.2)
    text = str(value).strip().replace(",", "").replace("，", "")
    if percent:
        text = text.removesuffix("%").removesuffix("％").strip()
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not number.is_finite():
        raise ValueError(value)
    return number


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").strip()


def _as_string(field: str, value: Any) -> str:
    """A field's value as stored in the import's JSON."""
    if value is None:
        return ""
    if field in ("investment", "progress_pct"):
        return str(Decimal(value).quantize(CENT))
    return str(value)


def _from_string(field: str, text: str) -> Any:
    if field == "investment":
        return Decimal(text)
    if field == "progress_pct":
        return Decimal(text) if text != "" else None
    return text


def _same(field: str, new: Any, old: Any) -> bool:
    if field in TEXT_FIELDS:
        return new == _text(old)
    return new == old  # Decimals compare by value; None only equals None


def _parse_cells(cells: dict[str, Any], report: ProgressReport) -> tuple[dict, list]:
    """The row's typed values, checked by the model fields' own validators, and the problems
    as (column, message)."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for field, header in HEADER_OF_FIELD.items():
        raw = cells.get(header)
        if field in TEXT_FIELDS:
            value = _text(raw)
        else:
            try:
                value = _number(raw, percent=field == "progress_pct")
            except ValueError:
                problems.append((header, _("Enter a number.")))
                continue
            if field == "investment" and value is not None:
                value = value * WAN
                # 1.234567 万元 is 12345.67 yuan; trailing zeros are not extra decimal places.
                if value == value.quantize(CENT):
                    value = value.quantize(CENT)
        try:
            values[field] = ProgressReport._meta.get_field(field).clean(value, report)
        except ValidationError as exc:
            problems.extend((header, message) for message in exc.messages)
    return values, problems


def _validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            (HEADER_OF_FIELD.get(field, ""), message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [("", message) for message in exc.messages]


def check_rows(
    sheet: UploadedSheet, *, reports: dict[str, ProgressReport], today: datetime.date
) -> tuple[list[dict], list[dict]]:
    """Each row's outcome (changed / unchanged / invalid) and every problem, named by row and
    column. `reports` are the reports the uploader may change, by project code."""
    rows: list[dict] = []
    errors: list[dict] = []
    first_row_of: dict[str, int] = {}
    for number, cells in sheet.rows:
        code = _code_text(cells.get(CODE))
        report = reports.get(code)
        entry = {
            "row": number,
            "code": code,
            "name": report.project.name if report else "",
            "report_id": None,
            "version": None,
            "state": INVALID,
            "values": {},
            "old": {},
            "problems": [],
        }
        problems: list[tuple[str, str]] = []
        if not code:
            problems.append((CODE, _("Enter the project code.")))
        elif code in first_row_of:
            problems.append(
                (CODE, _("This project is already in row %(row)s.") % {"row": first_row_of[code]})
            )
        elif report is None:
            problems.append(
                (CODE, _("Your organisation has no form for this project in this period."))
            )
        if code and code not in first_row_of:
            first_row_of[code] = number
        if not problems:
            values, problems = _parse_cells(cells, report)
        if not problems:
            changed = {f: v for f, v in values.items() if not _same(f, v, getattr(report, f))}
            entry.update(report_id=report.pk, version=report.version, state=UNCHANGED)
            if changed and not report.is_open_for_filling:
                problems.append(
                    (
                        "",
                        _("This report is %(status)s and can no longer be changed.")
                        % {"status": report.get_status_display()},
                    )
                )
            elif changed:
                try:
                    services.report_validate(report, changed, today=today)
                except ValidationError as exc:
                    problems.extend(_validation_problems(exc))
                entry.update(
                    state=CHANGED,
                    values={f: _as_string(f, v) for f, v in changed.items()},
                    old={f: _as_string(f, getattr(report, f)) for f in changed},
                )
        if problems:
            entry["state"] = INVALID
            for column, message in problems:
                text = problem_text(number, column, str(message))
                entry["problems"].append(text)
                errors.append(
                    {"row": number, "column": column, "message": str(message), "text": text}
                )
        rows.append(entry)
    return rows, errors


def report_import_create(
    *,
    actor: User,
    period: ReportingPeriod,
    sheet: UploadedSheet,
    file_name: str,
    sha256: str,
    today: datetime.date | None = None,
) -> ReportImport:
    """Check every row of an uploaded file and store the outcome for the preview; changes
    nothing else. Caller: rules.fills_reports(actor), and check_target() passed."""
    today = today or timezone.localdate()
    reports = {
        r.project.code: r
        for r in ProgressReport.objects.for_user(actor, Action.CHANGE)
        .filter(period=period)
        .select_related("project", "period")
    }
    rows, errors = check_rows(sheet, reports=reports, today=today)
    return ReportImport.objects.create(
        organisation=actor.organisation,
        period=period,
        uploaded_by=actor,
        file_name=file_name[:200],
        sha256=sha256,
        rows=rows,
        errors=errors,
    )


def already_committed(report_import: ReportImport) -> ReportImport | None:
    """An earlier committed import of the same file for the same organisation and period."""
    return (
        ReportImport.objects.filter(
            organisation=report_import.organisation_id,
            period=report_import.period_id,
            sha256=report_import.sha256,
            committed_at__isnull=False,
        )
        .exclude(pk=report_import.pk)
        .order_by("-committed_at")
        .first()
    )


# --- commit --------------------------------------------------------------------------------------


@transaction.atomic
def report_import_commit(
    *, actor: User, report_import: ReportImport, today: datetime.date | None = None
) -> int:
    """Apply every changed row through services.report_save, all or nothing, and mark the import
    committed. Returns the number of reports changed. Caller: `actor` uploaded the import.

    Raises ValidationError, naming the row, when the import has problems, was committed already,
    or any row fails (a report changed in the portal since the upload, a form no longer open);
    nothing is then saved.
    """
    today = today or timezone.localdate()
    if report_import.errors:
        raise ValidationError(
            _("Nothing was saved: the file has problems. Correct them and upload it again."),
            code="invalid",
        )
    # A conditional UPDATE, so that two clicks cannot both commit.
    claimed = ReportImport.objects.filter(pk=report_import.pk, committed_at__isnull=True).update(
        committed_at=timezone.now()
    )
    if not claimed:
        raise ValidationError(_("This file was committed already."), code="committed")
    changed = [row for row in report_import.rows if row["state"] == CHANGED]
    reports = (
        ProgressReport.objects.for_user(actor, Action.CHANGE)
        .select_related("project", "period")
        .in_bulk([row["report_id"] for row in changed])
    )
    for row in changed:
        report = reports.get(row["report_id"])
        if report is None:
            raise ValidationError(
                problem_text(row["row"], "", _("You may not change this report."))
            )
        fields = {name: _from_string(name, text) for name, text in row["values"].items()}
        try:
            services.report_save(
                actor=actor,
                report=report,
                version=row["version"],
                data=services.ReportInput(fields=fields),
                action=ReportAction.IMPORT,
                today=today,
            )
        except services.ConflictError as exc:
            raise ValidationError(
                problem_text(
                    row["row"],
                    "",
                    _(
                        "%(code)s was changed in the portal after your upload. Nothing was saved: "
                        "upload the file again to see the current values."
                    )
                    % {"code": row["code"]},
                ),
                code="conflict",
            ) from exc
        except ValidationError as exc:
            raise ValidationError(
                [
                    problem_text(row["row"], column, message)
                    for column, message in _validation_problems(exc)
                ]
            ) from exc
    report_import.refresh_from_db(fields=["committed_at"])
    return len(changed)


# --- the preview ---------------------------------------------------------------------------------


def _display(field: str, text: str) -> str:
    if text == "":
        return "—"
    if field == "investment":
        whole, _dot, decimals = f"{Decimal(text) / WAN:,.6f}".partition(".")
        return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"
    if field == "progress_pct":
        return f"{Decimal(text).normalize():f}%"
    return text


def preview_rows(report_import: ReportImport) -> list[dict]:
    """The import's rows as the preview shows them: each change as (column, old, new)."""
    shown = []
    for row in report_import.rows:
        changes = [
            {
                "column": HEADER_OF_FIELD[field],
                "old": _display(field, row["old"].get(field, "")),
                "new": _display(field, text),
            }
            for field, text in row["values"].items()
        ]
        shown.append({**row, "changes": changes})
    return shown


def summary(report_import: ReportImport) -> dict[str, int]:
    counts = {CHANGED: 0, UNCHANGED: 0, INVALID: 0}
    for row in report_import.rows:
        counts[row["state"]] += 1
    counts["problems"] = len(report_import.errors)
    return counts
