"""What progress reporting puts in the inbox and the workbench's feed (portal.inbox,
portal.activity): forms to fill, forms returned, forms to review, coordination items waiting for
an answer; and the reports' workflow steps. Registered by `ReportingConfig.ready()`."""

from __future__ import annotations

import functools

from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, LPad, NullIf
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import activity, inbox, workflow
from projects.models import Project
from reporting import selectors
from reporting.choices import PeriodKind
from reporting.models import CoordinationItem, ProgressReport, ReportEvent, ReportingPeriod


def _text(lookup: str):
    return Cast(F(lookup), CharField())


def period_code(prefix: str = "period__"):
    """The period's code (2026-10, 2026-10-T2) in SQL, so that a row carries it without a join
    per row; `period_label` turns it into what the page shows."""
    return Concat(
        _text(f"{prefix}year"),
        Value("-"),
        LPad(_text(f"{prefix}month"), 2, Value("0")),
        Case(
            When(**{f"{prefix}part__gt": 0}, then=Concat(Value("-T"), _text(f"{prefix}part"))),
            default=Value(""),
        ),
        output_field=CharField(),
    )


def period_label(code: str | None) -> str:
    """The label of a period from its code, as `ReportingPeriod.__str__` writes it (no query)."""
    if not code:
        return ""
    year, month, *rest = code.split("-")
    part = int(rest[0].removeprefix("T")) if rest else 0
    kind = PeriodKind.TEN_DAY if part else PeriodKind.MONTH
    return str(ReportingPeriod(kind=kind, year=int(year), month=int(month), part=part))


def _with_period_label(row: dict) -> dict:
    return {**row, "detail": period_label(row["detail"])}


PROJECT_TITLE = Concat(F("project__code"), Value(" "), F("project__name"), output_field=CharField())
REPORT = {
    "title": PROJECT_TITLE,
    "detail": period_code(),
    "project_code": "project__code",
    "project_name": "project__name",
    "owner": "project__owner__short_name",
}
ITEM = {
    "title": "subject",
    "detail": "project__code",
    "project_code": "project__code",
    "project_name": "project__name",
    "owner": "project__owner__short_name",
    "at": "created_at",
}
CHANGES = (ProgressReport, CoordinationItem, Project)  # a project's owner decides who sees


def _edit_url(row: dict) -> str:
    return reverse("reporting:edit", args=[row["pk"]])


def _detail_url(row: dict) -> str:
    return reverse("reporting:detail", args=[row["pk"]])


def _item_url(row: dict) -> str:
    return reverse("reporting:coordination-detail", args=[row["pk"]])


# The coordination items' sources differ in who they are for; they show and link alike.
_item_source = functools.partial(
    inbox.Source, show=ITEM, url=_item_url, models=CHANGES, testid="coordination"
)

SOURCES = [
    inbox.Source(
        key="reporting.to_fill",
        label=_("Forms to fill"),
        kind=inbox.Kind.TO_FILL,
        items=selectors.inbox_to_fill,
        show={**REPORT, "due": "period__due_date"},
        url=_edit_url,
        present=_with_period_label,
        models=CHANGES,
        order=10,
        empty=_("Nothing to fill."),
        links=(inbox.Link(_("Excel batch"), "reporting:excel-upload", "bi-file-earmark-excel"),),
    ),
    inbox.Source(
        key="reporting.returned",
        label=_("Returned to me"),
        kind=inbox.Kind.TO_FILL,
        items=selectors.inbox_returned,
        show={**REPORT, "due": "period__due_date", "at": "reviewed_at", "note": "review_comment"},
        url=_edit_url,
        present=_with_period_label,
        models=CHANGES,
        order=11,
        empty=_("Nothing returned."),
        note_label=_("Reviewer's comment"),
    ),
    inbox.Source(
        key="reporting.to_review",
        label=_("Waiting for my review"),
        kind=inbox.Kind.TO_REVIEW,
        items=selectors.inbox_to_review,
        show={**REPORT, "at": "submitted_at"},
        url=_detail_url,
        present=_with_period_label,
        models=CHANGES,
        order=20,
        empty=_("Nothing waits for review."),
    ),
    _item_source(
        key="reporting.coordination_to_answer",
        label=_("Coordination items for me or unassigned"),
        kind=inbox.Kind.TO_ANSWER,
        items=selectors.inbox_coordination_to_answer,
        order=30,
        empty=_("No coordination item waits for your answer."),
    ),
    _item_source(
        key="reporting.coordination_answered",
        label=_("Coordination items the centre answered"),
        kind=inbox.Kind.TO_REVIEW,
        items=selectors.inbox_coordination_answered,
        order=31,
        empty=_("The centre has answered nothing yet."),
    ),
    _item_source(
        key="reporting.coordination_open",
        label=_("Open coordination items"),
        kind=inbox.Kind.TO_FOLLOW,
        items=selectors.inbox_coordination_open,
        order=32,
        empty=_("No open coordination items."),
    ),
]


def _event_present(row: dict) -> dict:
    actions = dict(ReportEvent._meta.get_field("action").flatchoices)
    return {
        **row,
        "action": str(actions.get(row["action"], row["action"])),
        "title": period_label(row["title"]),
    }


ACTIVITY = activity.ActivitySource(
    key="reporting.events",
    events=selectors.report_events_since,
    show={
        "at": "at",
        "actor": Coalesce(NullIf(F("actor__name"), Value("")), F("actor__username")),
        "action": "action",
        "title": period_code("report__period__"),
        "project_code": "report__project__code",
        "project_name": "report__project__name",
        "ref": "report_id",
    },
    url=lambda row: reverse("reporting:detail", args=[row["ref"]]),
    present=_event_present,
)


def _item_event_present(row: dict) -> dict:
    steps = {t.name: str(t.label) for t in workflow.transitions_of(CoordinationItem)}
    return {**row, "action": steps.get(row["action"], row["action"])}


ITEM_ACTIVITY = activity.ActivitySource(
    key="reporting.coordination_events",
    events=selectors.coordination_events_since,
    show={
        "at": "at",
        "actor": Coalesce(NullIf(F("actor__name"), Value("")), F("actor__username")),
        "action": "action",
        "title": "item__subject",
        "project_code": "item__project__code",
        "project_name": "item__project__name",
        "ref": "item_id",
    },
    url=lambda row: reverse("reporting:coordination-detail", args=[row["ref"]]),
    present=_item_event_present,
)


def register() -> None:
    for source in SOURCES:
        inbox.register(source)
    activity.register(ACTIVITY)
    activity.register(ITEM_ACTIVITY)
