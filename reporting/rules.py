"""Who may take each step of reporting: questions answered by the access module, from the steps
that `reporting.models.REPORT_POLICY` declares. Kept as names the pages read well with; none of
them decides anything itself."""

from portal.access import allows
from reporting.models import REPORT_POLICY, ProgressReport


def can_fill(user, report: ProgressReport) -> bool:
    """May fill this report (the owning subsidiary's reporters and managers)."""
    return allows(user, "change", report)


def fills_reports(user) -> bool:
    """Fills its own organisation's forms (the filler's inbox, template and upload pages);
    administrators may fill any form but have no forms of their own."""
    return REPORT_POLICY.rule("submit").on_own_organisation(user)


def can_review(user) -> bool:
    """Reviews some reports (to show the reviewer's pages and links)."""
    return REPORT_POLICY.may_take_somewhere(user, "accept")
