"""The life of an Excel upload, for any app's sheet (portal.excel.sheet):

- `excel_import_create`: check every row of a read upload against the records the uploader may
  change and store the outcome (changed / unchanged / invalid, every problem by row and column);
  nothing else changes;
- `preview_rows` / `summary`: what the preview page shows;
- `excel_import_commit`: apply every changed row through the app's service, all or nothing, once;
  for a sheet that can submit (`Sheet.submit`), optionally also submit every record the file
  lists that is still open, changed or not, through the same service as the web form; each
  row keeps what was done to it (`outcome`), which the page shows;
- `excel_import_earlier`: the same file committed before for the same scope. Committing it again
  changes nothing: its rows equal what the portal holds, so none is applied.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.excel.models import ExcelImport
from portal.excel.reader import Upload, code_text, problem_text
from portal.excel.sheet import Sheet
from portal.models import User

CHANGED, UNCHANGED, INVALID = "changed", "unchanged", "invalid"
# What the commit did to a row (its "outcome"): saved (not submitted), submitted (saved first if
# changed), left as it was because no longer open (when submitting).
SAVED, SUBMITTED, LEFT = "saved", "submitted", "left"


def can_submit(sheet: Sheet) -> bool:
    """Whether the sheet's records can be submitted from the preview: the sheet defines
    `submittable(record)` and `submit(*, actor, record, version, today)` (its service)."""
    return callable(getattr(sheet, "submit", None))


def check_rows(sheet: Sheet, upload: Upload, *, records: dict[str, Any],
               today: datetime.date) -> tuple[list[dict], list[dict]]:  # fmt: skip
    """Each row's outcome (changed / unchanged / invalid) and every problem, named by row and
    column. `records` are the records the uploader may change, by key."""
    rows: list[dict] = []
    errors: list[dict] = []
    first_row_of: dict[str, int] = {}
    for number, cells in upload.rows:
        code = code_text(cells.get(sheet.key.header))
        record = records.get(code)
        entry = {
            "row": number,
            "code": code,
            "name": sheet.describe(record) if record is not None else "",
            "record_id": None,
            "version": None,
            "state": INVALID,
            "values": {},
            "old": {},
            "problems": [],
        }
        problems: list[tuple[str, str]] = []
        if not code:
            problems.append((sheet.key.header, str(sheet.missing_key_message)))
        elif code in first_row_of:
            problems.append(
                (sheet.key.header, str(sheet.repeated_key_message) % {"row": first_row_of[code]})
            )
        elif record is None:
            problems.append((sheet.key.header, str(sheet.unknown_key_message)))
        if code and code not in first_row_of:
            first_row_of[code] = number
        if not problems:
            values, problems = _parse_cells(sheet, cells, record)
        if not problems:
            changed = {
                name: value
                for name, value in values.items()
                if not sheet.column_of_field[name].same(value, getattr(record, name))
            }
            entry.update(record_id=record.pk, version=getattr(record, "version", None))
            entry["state"] = UNCHANGED
            refusal = sheet.refusal(record) if changed else ""
            if refusal:
                problems.append(("", refusal))
            elif changed:
                try:
                    sheet.validate(record, changed, today=today)
                except ValidationError as exc:
                    problems.extend(sheet.field_problems(exc))
                entry.update(
                    state=CHANGED,
                    values={f: sheet.column_of_field[f].stored(v) for f, v in changed.items()},
                    old={f: sheet.column_of_field[f].stored(getattr(record, f)) for f in changed},
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


def _parse_cells(sheet: Sheet, cells: dict[str, Any], record) -> tuple[dict, list]:
    """The row's typed values, checked by the model fields' own validators, and the problems
    as (column, message)."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for column in sheet.editable:
        try:
            value = column.parse(cells.get(column.header))
        except ValueError:
            problems.append((column.header, _("Enter a number.")))
            continue
        try:
            values[column.field] = record._meta.get_field(column.field).clean(value, record)
        except ValidationError as exc:
            problems.extend((column.header, message) for message in exc.messages)
    return values, problems


def excel_import_create(*, sheet: Sheet, actor: User, upload: Upload, scope: dict[str, Any],
                        today: datetime.date | None = None) -> ExcelImport:  # fmt: skip
    """Check every row of a read upload and store the outcome for the preview; changes nothing
    else. `scope` holds the import's own fields (e.g. the period). Caller: `actor` may upload
    for this sheet, and the upload's named cells match `scope`."""
    today = today or timezone.localdate()
    records = sheet.records(actor=actor, scope=scope)
    rows, errors = check_rows(sheet, upload, records=records, today=today)
    return sheet.import_model.objects.create(
        organisation=actor.organisation,
        uploaded_by=actor,
        file_name=upload.file_name[:200],
        sha256=upload.sha256,
        rows=rows,
        errors=errors,
        **scope,
    )


def excel_import_earlier(batch: ExcelImport) -> ExcelImport | None:
    """An earlier committed import of the same file for the same scope."""
    same_scope = {f"{name}_id": getattr(batch, f"{name}_id") for name in batch.scope_fields}
    return (
        type(batch)
        .objects.filter(**same_scope, sha256=batch.sha256, committed_at__isnull=False)
        .exclude(pk=batch.pk)
        .order_by("-committed_at")
        .first()
    )


@transaction.atomic
def excel_import_commit(*, sheet: Sheet, actor: User, batch: ExcelImport, submit: bool = False,
                        today: datetime.date | None = None) -> list[dict]:  # fmt: skip
    """Apply every changed row through the sheet's service, all or nothing, and mark the import
    committed. With `submit` (a sheet that can submit), then submit every record the file lists
    that is still open for filling, changed or not, through the sheet's `submit` (the same
    service and checks as the web form). Returns the rows, each with its `outcome` (SAVED,
    SUBMITTED, LEFT, or none when untouched), as also stored on the import. Caller: `actor`
    uploaded the import.

    Raises ValidationError, naming the row, when the import has problems, was committed already,
    or any row fails (a record changed in the portal since the upload, one no longer open, a
    submit refused by a rule); nothing is then saved or submitted.
    """
    today = today or timezone.localdate()
    submit = submit and can_submit(sheet)
    if batch.errors:
        raise ValidationError(
            _("Nothing was saved: the file has problems. Correct them and upload it again."),
            code="invalid",
        )
    # A conditional UPDATE, so that two clicks cannot both commit: it also holds the import's row
    # until this transaction ends.
    claimed = (
        type(batch)
        .objects.filter(pk=batch.pk, committed_at__isnull=True)
        .update(committed_at=timezone.now())
    )
    if not claimed:
        raise ValidationError(_("This file was committed already."), code="committed")
    rows = [dict(row) for row in batch.rows]
    wanted = (CHANGED, UNCHANGED) if submit else (CHANGED,)
    touched = [row for row in rows if row["state"] in wanted]
    records = sheet.changeable(actor=actor).in_bulk([row["record_id"] for row in touched])
    for row in touched:
        record = records.get(row["record_id"])
        if record is None:
            raise ValidationError(problem_text(row["row"], "", str(sheet.forbidden_message)))
        try:
            _commit_row(sheet, row, record, actor=actor, submit=submit, today=today)
        except sheet.conflict_errors as exc:
            raise ValidationError(
                problem_text(row["row"], "", str(sheet.conflict_message) % {"code": row["code"]}),
                code="conflict",
            ) from exc
        except PermissionDenied as exc:
            raise ValidationError(problem_text(row["row"], "", str(exc))) from exc
        except ValidationError as exc:
            raise ValidationError(
                [
                    problem_text(row["row"], column, text)
                    for column, text in sheet.field_problems(exc)
                ]
            ) from exc
    type(batch).objects.filter(pk=batch.pk).update(rows=rows)
    batch.rows = rows
    batch.refresh_from_db(fields=["committed_at"])
    return rows


def _commit_row(sheet: Sheet, row: dict, record, *, actor: User, submit: bool,
                today: datetime.date) -> None:  # fmt: skip
    version = row["version"]
    if row["state"] == CHANGED:
        fields = {
            name: sheet.column_of_field[name].loaded(text) for name, text in row["values"].items()
        }
        sheet.apply(actor=actor, record=record, version=version, fields=fields, today=today)
        version = getattr(record, "version", None)
        row["outcome"] = SAVED
    if submit:
        if sheet.submittable(record):
            sheet.submit(actor=actor, record=record, version=version, today=today)
            row["outcome"] = SUBMITTED
        elif row["state"] == UNCHANGED:
            row["outcome"] = LEFT


def outcome(sheet: Sheet, batch: ExcelImport) -> dict[str, Any] | None:
    """What the commit did, as the page says it: one sentence per kind of outcome and the rows
    concerned; None before the commit."""
    if batch.committed_at is None:
        return None
    by_kind: dict[str, list[dict]] = {SUBMITTED: [], SAVED: [], LEFT: []}
    for row in batch.rows:
        # An import committed before outcomes were kept saved its changed rows.
        kind = row.get("outcome") or (SAVED if row["state"] == CHANGED else None)
        if kind in by_kind:
            by_kind[kind].append(row)
    messages = {
        SUBMITTED: getattr(sheet, "submitted_message", None),
        SAVED: getattr(sheet, "saved_message", None) or sheet.committed_message,
        LEFT: getattr(sheet, "left_message", None),
    }
    groups = [
        {"kind": kind, "text": str(messages[kind]) % {"count": len(rows)}, "rows": rows}
        for kind, rows in by_kind.items()
        if rows and messages[kind]
    ]
    nothing = (
        ""
        if by_kind[SUBMITTED] or by_kind[SAVED]
        else _("Every row equals what the portal holds: nothing changed.")
    )
    return {"groups": groups, "nothing": nothing}


def preview_rows(sheet: Sheet, batch: ExcelImport) -> list[dict]:
    """The import's rows as the preview shows them: each change as (column, old, new)."""
    shown = []
    for row in batch.rows:
        changes = []
        for name, text in row["values"].items():
            column = sheet.column_of_field[name]
            changes.append(
                {
                    "column": column.header,
                    "old": column.shown(row["old"].get(name, "")),
                    "new": column.shown(text),
                }
            )
        shown.append({**row, "changes": changes})
    return shown


def summary(batch: ExcelImport) -> dict[str, int]:
    counts = {CHANGED: 0, UNCHANGED: 0, INVALID: 0}
    for row in batch.rows:
        counts[row["state"]] += 1
    counts["problems"] = len(batch.errors)
    return counts
