"""Excel batches of progress reports: the sheet a subsidiary downloads for a period, fills in and
uploads. Reading, checking, the preview and the commit are the base's (portal.excel); this
module says only what is reporting's:

- sheet 进度填报: B1 the period code (2026-11, 2026-11-T2), D1 the organisation's name (as the
  reporter knows it; names are unique), row 3 the
  headers, one row per report of the organisation and period from row 4, found by project code;
- a row's values go through the model fields' validators and `services.report_validate`, and
  the commit through `services.report_save` (as an import), exactly as the web form does;
- sheet 说明: how to fill it in.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import workflow
from portal.access import Action
from portal.excel.reader import Upload
from portal.excel.sheet import AMOUNT, PERCENT, Column, Sheet
from portal.models import Organisation, User
from reporting import services
from reporting.choices import ReportAction, ReportStatus
from reporting.models import ProgressReport, ReportImport, ReportingPeriod
from reporting.selectors import MONEY, with_figures

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


class ReportSheet(Sheet):
    """The period's reports of one organisation, one row per project."""

    title = "进度填报"
    target_cells = {"period": (1, 2), "organisation": (1, 4)}  # B1, D1
    target_labels = {"period": gettext_lazy("Period"), "organisation": gettext_lazy("Organisation")}
    key = Column(CODE, 16)
    columns = [
        key,
        Column(NAME, 30),
        Column(INVESTMENT, 16, field="investment", kind=AMOUNT, required=True),
        Column(PROGRESS_TEXT, 36, field="progress_text"),
        Column(PROGRESS_PCT, 12, field="progress_pct", kind=PERCENT),
        Column(NEXT_STEPS, 36, field="next_steps"),
        Column(EXPLANATION, 30, field="explanation"),
        Column(ANNUAL_PLAN, 16, kind=AMOUNT),
        Column(YTD_BEFORE, 16, kind=AMOUNT),
        Column(LAST_PCT, 14, kind=PERCENT),
        Column(STATUS, 10),
    ]
    import_model = ReportImport
    import_related = ("organisation", "period")
    conflict_errors = (services.ConflictError,)
    key_label = gettext_lazy("Project")
    note = gettext_lazy(
        "Fill in the white columns only; the grey ones are for reference. Amounts in 10k "
        "yuan. Do not change cells B1 and D1 or the headers in row 3."
    )
    no_target_message = gettext_lazy(
        "The file does not say which period and organisation it is for (cells B1 and "
        "D1): download the template from the portal."
    )
    missing_key_message = gettext_lazy("Enter the project code.")
    unknown_key_message = gettext_lazy(
        "Your organisation has no form for this project in this period."
    )
    repeated_key_message = gettext_lazy("This project is already in row %(row)s.")
    forbidden_message = gettext_lazy("You may not change this report.")
    committed_message = gettext_lazy("%(count)s reports were updated from the file.")
    # The preview's two ways to commit, and what the page says each did (portal.excel.imports).
    save_label = gettext_lazy("Save as drafts")
    submit_label = gettext_lazy("Save and submit to the centre")
    submit_help = gettext_lazy(
        "Save as drafts: the changed rows are saved; nothing reaches the centre. Save and "
        "submit: the changed rows are saved, then every report of the file still open for "
        "filling (%(count)s), changed or not, is submitted to the centre for review. All or "
        "nothing: if one report cannot be submitted, nothing is saved."
    )
    saved_message = gettext_lazy(
        "Saved %(count)s reports as drafts. They have not been submitted: the centre does "
        "not see them yet."
    )
    submitted_message = gettext_lazy("Saved and submitted %(count)s reports to the centre.")
    left_message = gettext_lazy(
        "%(count)s reports were no longer open for filling and were left as they were."
    )

    def changeable(self, *, actor: User) -> QuerySet[ProgressReport]:
        return ProgressReport.objects.for_user(actor, Action.CHANGE).select_related(
            "project", "period"
        )

    def records(self, *, actor: User, scope: dict[str, Any]) -> dict[str, ProgressReport]:
        reports = self.changeable(actor=actor).filter(period=scope["period"])
        return {report.project.code: report for report in reports}

    def describe(self, record: ProgressReport) -> str:
        return record.project.name

    def refusal(self, record: ProgressReport) -> str:
        if record.is_open_for_filling:
            return ""
        return workflow.closed_message(record)

    def validate(self, record: ProgressReport, fields: dict[str, Any], *,
                 today: datetime.date) -> None:  # fmt: skip
        services.report_validate(record, fields, today=today)

    def apply(self, *, actor: User, record: ProgressReport, version: int | None,
              fields: dict[str, Any], today: datetime.date) -> None:  # fmt: skip
        services.report_save(
            actor=actor,
            report=record,
            version=version,
            data=services.ReportInput(fields=fields),
            action=ReportAction.IMPORT,
            today=today,
        )

    def submittable(self, record: ProgressReport) -> bool:
        return record.is_open_for_filling

    def submit(self, *, actor: User, record: ProgressReport, version: int | None,
               today: datetime.date) -> None:  # fmt: skip
        """Submit (or resubmit) as the web form does, with the submit checks."""
        services.report_submit(actor=actor, report=record, version=version, today=today)

    def check_target(self, upload: Upload, *, user: User, period: ReportingPeriod) -> None:
        """Refuse a file for another organisation, or another or unknown period."""
        organisation, code = upload.cells["organisation"], upload.cells["period"]
        if organisation != user.organisation.name:
            raise ValidationError(
                _(
                    "This file is for the organisation “%(code)s”, not yours (%(own)s): download "
                    "your own template."
                )
                % {"code": organisation, "own": user.organisation.name},
                code="organisation",
            )
        if code == period.code:
            return
        if not ReportingPeriod.objects.filter(**ReportingPeriod.lookup_for_code(code)).exists():
            raise ValidationError(
                _("The file names the period “%(code)s”, which does not exist.") % {"code": code},
                code="period",
            )
        raise ValidationError(
            _("This file is for the period %(file)s, but you chose %(chosen)s.")
            % {"file": code, "chosen": period.code},
            code="period",
        )

    def help_lines(self) -> list[str]:
        return [
            _("How to fill in this file"),
            _(
                "1. Fill in the white columns of the sheet 进度填报, one row per project. Grey "
                "columns are for reference and are not read."
            ),
            _(
                "2. 本期完成投资（万元）: the investment completed in this period, in 10k yuan "
                "(enter 0 if none). The portal stores yuan: 1 here is 10,000 yuan."
            ),
            _(
                "3. 形象进度（%）: a number from 0 to 100, without the % sign; it may be left "
                "empty."
            ),
            _(
                "4. 情况说明: needed when the year to date passes the annual plan, or when "
                "progress is lower than the last accepted period."
            ),
            _(
                "5. Do not change the period (B1), the organisation (D1), the headers (row 3) or "
                "the project codes. Rows may be deleted: a project left out is not changed."
            ),
            _(
                "6. Only forms still open (draft or returned) can be changed. A row equal to what "
                "the portal holds is left as it is."
            ),
            _(
                "7. Upload the file in the portal: a preview lists every change and every problem "
                "by row and column. Nothing is saved until you confirm, and nothing is saved "
                "while any row has a problem."
            ),
            _(
                "8. At the preview, “Save as drafts” saves the changes without submitting them; "
                "“Save and submit to the centre” also submits every report of the file still "
                "open for filling, for the centre's review."
            ),
        ]


SHEET = ReportSheet()


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


def build_template(
    *, organisation: Organisation, period: ReportingPeriod, reports: QuerySet[ProgressReport]
) -> bytes:
    """The workbook for `organisation` and `period`, one row per report, pre-filled with the
    reports' current values. `reports` comes from template_reports()."""
    rows = (
        {
            CODE: report.project.code,
            NAME: report.project.name,
            INVESTMENT: report.investment,
            PROGRESS_TEXT: report.progress_text,
            PROGRESS_PCT: report.progress_pct,
            NEXT_STEPS: report.next_steps,
            EXPLANATION: report.explanation,
            ANNUAL_PLAN: report.annual_plan,
            YTD_BEFORE: report.ytd_investment - report.investment,
            LAST_PCT: report.last_accepted_pct,
            STATUS: report.get_status_display(),
        }
        for report in reports
    )
    return SHEET.build_template(
        targets={"period": period.code, "organisation": organisation.name},
        caption=f"{organisation.name} · {period}",
        rows=rows,
    )
