"""Reads of the registry, already scoped to the user and carrying their joins."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from portal.access import AccessPolicy, Action, fetch, org_q, organisations_for
from portal.choices import Role
from portal.history import history_entries
from portal.models import Organisation, User
from projects.models import AnnualPlan, Milestone, Project


def project_list(*, user: User) -> QuerySet[Project]:
    """Projects `user` may see, with what a list row shows joined in."""
    return Project.objects.for_user(user, Action.VIEW).select_related(
        "owner", "assigned_leader", "project_manager"
    )


def project_get(*, user: User, pk, action: Action = Action.VIEW) -> Project:
    """One project with its plans and milestones: 404 when missing or unseen (alike), 403 when
    seen but `action` is not the user's (portal.access.fetch)."""
    queryset = Project.objects.select_related(
        "owner", "assigned_leader", "project_manager"
    ).prefetch_related(
        Prefetch("annual_plans", queryset=AnnualPlan.objects.order_by("-year")),
        Prefetch(
            "milestones", queryset=Milestone.objects.select_related("responsible_organisation")
        ),
    )
    return fetch(queryset, user, pk, action)


def project_history(*, project: Project, limit: int = 50) -> list[dict]:
    """The project's changes, newest first, as the page shows them (portal.history): who,
    when, and each changed field by its form label, amounts in 万元."""
    from projects.forms import ProjectForm  # the page's labels; forms import this module

    records = list(
        project.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    labels = {name: field.label for name, field in ProjectForm.base_fields.items()}
    return history_entries(records, model=Project, labels=labels, limit=limit)


def owner_choices(*, user: User, policy: AccessPolicy = Project.access_policy):
    """Subsidiaries `user` may create or move a project into."""
    return organisations_for(user, Action.CHANGE, policy).filter(kind="subsidiary")


def visible_owners(*, user: User) -> QuerySet[Organisation]:
    """Subsidiaries whose projects `user` may see (for the list filter)."""
    return organisations_for(user, Action.VIEW, Project.access_policy).filter(kind="subsidiary")


def manager_choices(*, user: User) -> QuerySet[User]:
    """People who may be named project manager: centre officers, and the staff of the
    organisations `user` sees (a subsidiary user does not browse other subsidiaries' staff).
    Nobody for a user who sees no organisation."""
    if not Project.access_policy.may_take_somewhere(user, Action.VIEW):
        return User.objects.none()
    staff = User.objects.filter(is_active=True).exclude(role="")
    # org_q is Q() for those who see every organisation; Q() | Q(...) would drop it.
    seen = org_q(user, "organisation")
    return staff if not seen else staff.filter(Q(role=Role.OFFICER) | seen)


def district_choices(*, user: User) -> list[str]:
    return list(
        project_list(user=user)
        .exclude(district="")
        .order_by("district")
        .values_list("district", flat=True)
        .distinct()
    )
