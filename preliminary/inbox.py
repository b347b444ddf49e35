"""What preliminary work puts in the inbox and the workbench's feed (portal.inbox,
portal.activity): items submitted and waiting for an officer to record the decision, items the
centre returned to the subsidiary, the subsidiary's overdue items; and approvals granted.
Registered by `PreliminaryConfig.ready()`."""

from __future__ import annotations

from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import activity, inbox
from preliminary import selectors
from preliminary.models import PermitItem
from projects.models import Project

ITEM = {
    "title": Concat(
        F("project__code"), Value(" "), F("permit_type__name"), output_field=CharField()
    ),
    "detail": "permit_type__issuer",
    "project_code": "project__code",
    "project_name": "project__name",
    "owner": "project__owner__short_name",
}
CHANGES = (PermitItem, Project)


def _url(row: dict) -> str:
    return reverse("preliminary:item", args=[row["pk"]])


SOURCES = [
    inbox.Source(
        key="preliminary.to_approve",
        label=_("Permits with the issuer: record the decision"),
        kind=inbox.Kind.TO_REVIEW,
        items=selectors.inbox_to_approve,
        show={**ITEM, "due": "planned_date"},
        url=_url,
        models=CHANGES,
        order=40,
        empty=_("No permit waits for a decision."),
        testid="permits-to-approve",
    ),
    inbox.Source(
        key="preliminary.returned",
        label=_("Permits returned to us"),
        kind=inbox.Kind.TO_FILL,
        items=selectors.inbox_returned,
        show={**ITEM, "due": "planned_date", "note": "return_comment"},
        url=_url,
        models=CHANGES,
        order=41,
        empty=_("No permit was returned."),
        note_label=_("Returned because"),
        testid="permits-returned",
    ),
    inbox.Source(
        key="preliminary.overdue",
        label=_("Permits past their planned date"),
        kind=inbox.Kind.OVERDUE,
        items=selectors.inbox_overdue,
        show={**ITEM, "due": "planned_date"},
        url=_url,
        models=CHANGES,
        order=42,
        empty=_("No permit is overdue."),
        testid="permits-overdue",
    ),
]


def _present(row: dict) -> dict:
    return {**row, "action": str(_("Approved"))}


ACTIVITY = activity.ActivitySource(
    key="preliminary.approvals",
    events=selectors.approvals_since,
    show={
        "at": "at",
        "actor": Coalesce(NullIf(F("actor__name"), Value("")), F("actor__username")),
        "action": "action",
        "title": "item__permit_type__name",
        "project_code": "item__project__code",
        "project_name": "item__project__name",
        "ref": "item_id",
    },
    url=lambda row: reverse("preliminary:item", args=[row["ref"]]),
    present=_present,
)


def register() -> None:
    for source in SOURCES:
        inbox.register(source)
    activity.register(ACTIVITY)
