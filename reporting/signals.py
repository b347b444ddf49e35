"""Signals other apps may listen to. Reporting depends on nobody above it: the dashboard
connects to these to refresh its rollups, instead of reporting calling the dashboard."""

from django.dispatch import Signal

# Sent after the transaction commits, whenever whether a report counts may have changed
# (accepted, or reopened). Arguments: report_id, project_id, period_id.
report_counted_changed = Signal()
