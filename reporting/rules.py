"""Who may take each step of the reporting workflow. Built on portal.access; views, the API, the
Excel import and the reminders all ask these, so the rules are written once."""

from portal.access import Action, is_admin, is_subsidiary_user
from portal.choices import Role
from reporting.models import ProgressReport


def can_fill(user, report: ProgressReport) -> bool:
    """Reporters and managers of the owning organisation fill and submit its forms."""
    return ProgressReport.access_policy.allows(user, Action.CHANGE, report)


def fills_reports(user) -> bool:
    return is_subsidiary_user(user) and user.role in (Role.REPORTER, Role.MANAGER)


def can_review(user) -> bool:
    """Centre officers (any function) and administrators return, accept and reopen."""
    return is_admin(user) or (user.is_authenticated and user.is_active
                              and user.role == Role.OFFICER)  # fmt: skip


def can_answer_coordination(user) -> bool:
    return can_review(user)
