"""Every state change of progress reporting. Each service is one transaction; the web form, the
API, the Excel import and the Celery jobs all call these, and none repeats their checks.

Callers must have checked who may act (reporting.rules); the services check the state: that a
form is still open, that the period has started, that nobody saved in between (version), and the
reporting rules of DOMAIN.md section 5 with their messages.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import access, inbox, workflow
from portal.models import User
from portal.money import format_amount
from portal.workflow import ConflictError  # noqa: F401  (callers catch it from here)
from projects.choices import FINISHED_STAGES
from projects.models import Milestone, Project
from reporting import selectors
from reporting.choices import CoordinationStatus, PeriodKind, ReportAction, ReportStatus
from reporting.models import (
    OPEN_FOR_FILLING,
    CoordinationItem,
    ProgressReport,
    ReportingPeriod,
    ReportProblem,
)
from reporting.signals import report_counted_changed

REPORT_FIELDS = frozenset({"investment", "progress_text", "progress_pct", "next_steps",
                           "explanation"})  # fmt: skip
PROBLEM_FIELDS = ("description", "responsible_unit", "responsible_person", "deadline", "status",
                  "resolution")  # fmt: skip


@dataclass
class ReportInput:
    """What a reporter sends: the report's own fields, and optionally its problems, its
    coordination items and the milestones reached (each replacing what the draft had)."""

    fields: dict[str, Any]
    problems: list[dict[str, Any]] | None = None
    coordination: list[dict[str, Any]] | None = None
    milestones: Iterable[Milestone] | None = None


# --- periods and forms ---------------------------------------------------------------------------


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def period_bounds(kind: str, day: datetime.date) -> tuple[int, datetime.date, datetime.date]:
    """(part, start, end) of the period of `kind` that contains `day`."""
    if kind == PeriodKind.MONTH:
        return 0, day.replace(day=1), _month_end(day.year, day.month)
    part = min(3, (day.day - 1) // 10 + 1)
    start = day.replace(day=(part - 1) * 10 + 1)
    end = day.replace(day=part * 10) if part < 3 else _month_end(day.year, day.month)
    return part, start, end


def period_for(*, kind: str, day: datetime.date) -> ReportingPeriod:
    """The period of `kind` containing `day`, created if missing (idempotent, race-safe)."""
    part, start, end = period_bounds(kind, day)
    due_days = settings.PORTAL[
        "REPORT_DUE_DAYS_MONTH" if kind == PeriodKind.MONTH else "REPORT_DUE_DAYS_TEN_DAY"
    ]
    period, _created = ReportingPeriod.objects.get_or_create(
        kind=kind, year=start.year, month=start.month, part=part,
        defaults={"start": start, "end": end,
                  "due_date": end + datetime.timedelta(days=due_days)},
    )  # fmt: skip
    return period


def report_forms_ensure(*, period: ReportingPeriod) -> int:
    """Give every active project of the period's kind its form, once. Returns how many were
    made. Skips projects that already have a form of another kind covering these days (a
    project switched to ten-day reporting in the middle of a month keeps its monthly form)."""
    ten_daily = period.kind == PeriodKind.TEN_DAY
    covered = ProgressReport.objects.filter(
        period__start__lte=period.end, period__end__gte=period.start
    ).values("project_id")
    projects = (
        Project.objects.exclude(stage__in=FINISHED_STAGES)
        .filter(reports_ten_daily=ten_daily)
        .exclude(pk__in=covered)
        .values_list("pk", flat=True)
    )
    forms = [ProgressReport(project_id=pk, period=period) for pk in projects]
    ProgressReport.objects.bulk_create(forms, ignore_conflicts=True, batch_size=1000)
    if forms:
        inbox.changed()  # bulk_create sends no post_save: the badges count the new forms
    return len(forms)


def periods_ensure(*, today: datetime.date) -> dict[str, int]:
    """The daily job: open today's periods and make their forms. Safe to run any number of
    times; returns forms made per period code."""
    made = {}
    for kind in PeriodKind.values:
        period = period_for(kind=kind, day=today)
        made[period.code] = report_forms_ensure(period=period)
    return made


# --- filling ------------------------------------------------------------------------------------


def _require_open(report: ProgressReport) -> None:
    workflow.require_state(report, OPEN_FOR_FILLING)


def report_validate(report: ProgressReport, fields: dict[str, Any], *,
                    today: datetime.date) -> None:  # fmt: skip
    """The reporting rules, with messages next to the fields they concern."""
    errors: dict[str, list[str]] = {}
    if not report.period.has_started(today):
        raise ValidationError(
            _("The period %(period)s has not started yet.") % {"period": report.period}
        )
    # Each value within its field first (digits, length): the rules below compute with them.
    for name, value in fields.items():
        try:
            ProgressReport._meta.get_field(name).clean(value, report)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    investment = fields.get("investment", report.investment)
    explanation = (fields.get("explanation", report.explanation) or "").strip()
    if investment is not None and investment < 0:
        errors["investment"] = [_("Amounts cannot be negative.")]
    elif investment is not None and not explanation:
        figures = selectors.figures_if(report, investment)
        if figures.annual_plan is not None and figures.ytd > figures.annual_plan:
            errors["investment"] = [
                _(
                    "The year to date (%(ytd)s 10k yuan) passes the annual plan "
                    "(%(plan)s 10k yuan): say why under Explanation."
                )
                % {"ytd": format_amount(figures.ytd), "plan": format_amount(figures.annual_plan)}
            ]
    pct = fields.get("progress_pct", report.progress_pct)
    if pct is not None and not (0 <= pct <= 100):
        errors["progress_pct"] = [_("A percentage is between 0 and 100.")]
    elif pct is not None and not explanation:
        previous = selectors.last_accepted(report)
        if previous and previous.progress_pct is not None and pct < previous.progress_pct:
            errors["progress_pct"] = [
                _(
                    "Progress is lower than the last accepted period (%(previous)s%%): "
                    "say why under Explanation."
                )
                % {"previous": previous.progress_pct}
            ]
    if errors:
        raise ValidationError(errors)


def _replace_problems(report: ProgressReport, problems: list[dict[str, Any]]) -> None:
    report.problems.all().delete()
    rows = []
    for problem in problems:
        if not (problem.get("description") or "").strip():
            continue  # an empty row of the form
        row = ReportProblem(report=report, **{k: problem[k] for k in PROBLEM_FIELDS
                                              if problem.get(k) is not None})  # fmt: skip
        row.full_clean(exclude=["report"])
        rows.append(row)
    ReportProblem.objects.bulk_create(rows)


def _replace_coordination(report: ProgressReport, items: list[dict[str, Any]]) -> None:
    # Only items the centre has not answered yet may be rewritten by the subsidiary.
    report.coordination_items.filter(status=CoordinationStatus.OPEN).delete()
    rows = [CoordinationItem(report=report, project_id=report.project_id,
                             subject=i["subject"].strip(), detail=i.get("detail") or "")
            for i in items if (i.get("subject") or "").strip()]  # fmt: skip
    for row in rows:
        row.full_clean(exclude=["report", "project"])
    CoordinationItem.objects.bulk_create(rows)


@transaction.atomic
def report_save(
    *, actor: User, report: ProgressReport, version: int, data: ReportInput,
    action: ReportAction = ReportAction.SAVE, today: datetime.date | None = None,
) -> ProgressReport:  # fmt: skip
    """Save a draft or returned form. Caller: `actor` may fill this report (rules.can_fill).

    Refuses a form no longer open, a period not started, a stale `version` (ConflictError) and
    figures that break the reporting rules without an explanation.
    """
    today = today or timezone.localdate()
    unknown = set(data.fields) - REPORT_FIELDS
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    _require_open(report)
    report_validate(report, data.fields, today=today)
    workflow.claim(report, version=version, statuses=OPEN_FOR_FILLING)
    for name, value in data.fields.items():
        setattr(report, name, value)
    report._history_user = actor
    report.full_clean(exclude=["milestones_reached"])
    report.save()
    if data.problems is not None:
        _replace_problems(report, data.problems)
    if data.coordination is not None:
        _replace_coordination(report, data.coordination)
    if data.milestones is not None:
        allowed = [m for m in data.milestones if m.project_id == report.project_id]
        report.milestones_reached.set(allowed)
    workflow.record_event(report, actor=actor, action=action, source=report.status,
                          target=report.status)  # fmt: skip
    return report


@transaction.atomic
def report_submit(
    *, actor: User, report: ProgressReport, version: int, data: ReportInput | None = None,
    today: datetime.date | None = None,
) -> ProgressReport:  # fmt: skip
    """Submit a draft (or resubmit a returned form) for the centre's review, saving `data`
    first if given. The step is the model's `submit` / `resubmit` (portal.workflow)."""
    today = today or timezone.localdate()
    name = "resubmit" if report.status == ReportStatus.RETURNED else "submit"
    if data is not None:
        report_save(actor=actor, report=report, version=version, data=data, today=today)
        version = report.version
    workflow.transition_perform(actor=actor, obj=report, name=name, version=version,
                                today=today)  # fmt: skip
    return report


def report_check_submit(report: ProgressReport, *, actor: User,
                        today: datetime.date | None = None, **kwargs) -> None:  # fmt: skip
    """The reporting rules a form must pass to be submitted (a check of the submit steps)."""
    report_validate(report, {}, today=today or timezone.localdate())


def report_count_milestones(report: ProgressReport, *, actor: User, event,
                            today: datetime.date | None = None, **kwargs) -> None:  # fmt: skip
    """On acceptance: the milestones the report says were reached get their actual date."""
    reached_on = min(today or timezone.localdate(), report.period.end)
    for milestone in report.milestones_reached.filter(actual_date__isnull=True):
        milestone.actual_date = reached_on
        milestone._history_user = actor
        milestone.save(update_fields=["actual_date"])


def report_announce(report: ProgressReport, **kwargs) -> None:
    """After commit, tell whoever counts accepted reports (the dashboard) that this one's
    counting changed (accepted, or reopened)."""
    transaction.on_commit(lambda: report_counted_changed.send(
        sender=ProgressReport, report_id=report.pk, project_id=report.project_id,
        period_id=report.period_id))  # fmt: skip


def report_reviewers(report: ProgressReport, event) -> list[User]:
    """Who hears that a form waits for review: those who may accept it (centre officers)."""
    return access.users_allowed("accept", report)


def report_fillers(obj: ProgressReport | CoordinationItem, event) -> list[User]:
    """Who hears of a review or an answer: those who fill the owning subsidiary's forms."""
    return access.users_allowed("change", obj)


def report_return(*, actor: User, report: ProgressReport, comment: str,
                  version: int | None = None) -> ProgressReport:  # fmt: skip
    """Send a submitted report back to the subsidiary with what needs fixing."""
    workflow.transition_perform(actor=actor, obj=report, name="return", comment=comment,
                                version=version)  # fmt: skip
    return report


def report_accept(*, actor: User, report: ProgressReport, comment: str = "",
                  version: int | None = None,
                  today: datetime.date | None = None) -> ProgressReport:  # fmt: skip
    """Accept a submitted report: it is locked, counts on the dashboard, and the milestones it
    reports reached are recorded."""
    workflow.transition_perform(actor=actor, obj=report, name="accept", comment=comment,
                                version=version, today=today)  # fmt: skip
    return report


def report_reopen(*, actor: User, report: ProgressReport, reason: str,
                  version: int | None = None) -> ProgressReport:  # fmt: skip
    """Reopen an accepted report (it stops counting) and return it with the reason."""
    workflow.transition_perform(actor=actor, obj=report, name="reopen", comment=reason,
                                version=version)  # fmt: skip
    return report


# --- coordination ---------------------------------------------------------------------------------


def coordination_answer(*, actor: User, item: CoordinationItem, answer: str,
                        assignee: User | None = None,
                        version: int | None = None) -> CoordinationItem:  # fmt: skip
    """The centre answers a coordination item (again, if it was answered before)."""
    workflow.transition_perform(actor=actor, obj=item, name="answer", comment=answer,
                                version=version, assignee=assignee)  # fmt: skip
    return item


@transaction.atomic
def coordination_assign(*, actor: User, item: CoordinationItem,
                        assignee: User) -> CoordinationItem:  # fmt: skip
    """Give a coordination item to a centre officer. Caller: may `assign` the item."""
    workflow.claim(item, version=item.version, statuses=CoordinationStatus.values,
                   assignee=assignee)  # fmt: skip
    item._history_user = actor
    item.full_clean()
    item.save(update_fields=["assignee"])
    return item


def coordination_close(*, actor: User, item: CoordinationItem,
                       version: int | None = None) -> CoordinationItem:  # fmt: skip
    """Close an answered item (the subsidiary is satisfied, or the centre closes it)."""
    workflow.transition_perform(actor=actor, obj=item, name="close", version=version)
    return item
