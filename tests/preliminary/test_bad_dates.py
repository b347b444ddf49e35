"""Dates at the edge of the calendar typed into an item: the pages that compute with them
(the checklist's Gantt chart, the board's warnings) answer, never a 500."""

import datetime

from django.urls import reverse

from preliminary import warnings


def test_counting_working_days_back_stops_at_the_first_day_of_the_calendar():
    assert warnings.minus_working_days(datetime.date.min, 20) == datetime.date.min
    assert warnings.minus_working_days(datetime.date(1, 1, 3), 20) == datetime.date.min


def test_a_planned_date_in_year_one_does_not_break_the_checklist_or_the_board(client_for, permit):
    client = client_for("reporter")
    response = client.post(permit.get_absolute_url(), {
        "version": permit.version, "planned_date": "0001-01-01", "submitted_date": "",
        "responsible": "", "note": "",
    })  # fmt: skip
    # The form refuses it at the field (portal.limits' date range) and keeps what was typed.
    assert response.status_code == 200 and "0001-01-01" in response.content.decode()
    permit.refresh_from_db()
    assert permit.planned_date != datetime.date(1, 1, 1)
    # Stored some other way, it still breaks no page that computes with it.
    type(permit).objects.filter(pk=permit.pk).update(planned_date=datetime.date(1, 1, 1))
    checklist = client.get(reverse("preliminary:checklist", args=[permit.project_id]))
    assert checklist.status_code == 200
    for query in ({"state": ""}, {"warning": "overdue"}, {"state": "", "format": "xlsx"}):
        assert client.get(reverse("preliminary:board"), query).status_code == 200
