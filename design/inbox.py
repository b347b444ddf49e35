"""What design management puts in the inbox and the workbench's feed (portal.inbox,
portal.activity): changes waiting for the user's decision at their tier, changes returned to the
subsidiary; and the changes' approval steps. Registered by `DesignConfig.ready()`."""

from __future__ import annotations

from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from design import selectors
from design.models import DesignChange
from portal import activity, inbox, workflow
from projects.models import Project

CHANGE = {
    "title": Concat(F("number"), Value(" "), F("project__name"), output_field=CharField()),
    "detail": "project__code",
    "project_code": "project__code",
    "project_name": "project__name",
    "owner": "project__owner__short_name",
}
MODELS = (DesignChange, Project)


def _url(row: dict) -> str:
    return reverse("design:change", args=[row["pk"]])


def _edit_url(row: dict) -> str:
    return reverse("design:change-edit", args=[row["pk"]])


SOURCES = [
    inbox.Source(
        key="design.to_decide",
        label=_("Design changes waiting for my approval"),
        kind=inbox.Kind.TO_REVIEW,
        items=selectors.inbox_to_decide,
        show={**CHANGE, "at": "submitted_at"},
        url=_url,
        models=MODELS,
        order=40,
        empty=_("No design change waits for your approval."),
        testid="design-to-decide",
    ),
    inbox.Source(
        key="design.returned",
        label=_("Design changes returned to us"),
        kind=inbox.Kind.TO_FILL,
        items=selectors.inbox_returned,
        show={**CHANGE, "at": "decided_at"},
        url=_edit_url,
        models=MODELS,
        order=41,
        empty=_("No design change was returned."),
        testid="design-returned",
    ),
]


def _present(row: dict) -> dict:
    steps = {t.name: str(t.label) for t in workflow.transitions_of(DesignChange)}
    return {**row, "action": steps.get(row["action"], row["action"])}


ACTIVITY = activity.ActivitySource(
    key="design.change_events",
    events=selectors.change_events_since,
    show={
        "at": "at",
        "actor": Coalesce(NullIf(F("actor__name"), Value("")), F("actor__username")),
        "action": "action",
        "title": "change__number",
        "project_code": "change__project__code",
        "project_name": "change__project__name",
        "ref": "change_id",
    },
    url=lambda row: reverse("design:change", args=[row["ref"]]),
    present=_present,
)


def register() -> None:
    for source in SOURCES:
        inbox.register(source)
    activity.register(ACTIVITY)
