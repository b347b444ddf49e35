"""Every persona × every declared step of reporting's workflows, through the page and the API
(tests/kit.py): allowed, the new state and its event; refused, 403 or 404 and nothing changed.

A step added to `ProgressReport` or `CoordinationItem` is picked up here from its declaration;
the test then fails until WHO below says who may take it."""

import pytest
from django.urls import reverse
from django.utils import translation

from portal import workflow
from reporting.choices import CoordinationStatus, ReportStatus
from reporting.models import CoordinationItem, ProgressReport
from tests import kit
from tests.personas import ALL

FILLERS = {"manager", "reporter", "admin"}  # the owning subsidiary's staff; administrators
REVIEWERS = {"officer", "officer_design", "admin"}  # the centre, whatever the function
SEES_INFRA = {"leader", "officer", "officer_design", "admin", "manager", "reporter"}

WHO = {
    "submit": FILLERS,
    "resubmit": FILLERS,
    "return": REVIEWERS,
    "accept": REVIEWERS,
    "reopen": REVIEWERS,
    "answer": REVIEWERS,
    "close": REVIEWERS | FILLERS,
}


def expected(persona: str, step: str) -> int:
    if persona in WHO[step]:
        return 200
    return 403 if persona in SEES_INFRA else 404


def test_every_declared_step_says_who_takes_it():
    declared = {name for model in (ProgressReport, CoordinationItem)
                for name, _source in kit.transition_cases(model)}  # fmt: skip
    assert declared == set(WHO)


@pytest.mark.parametrize("via", ["page", "api"])
@pytest.mark.parametrize(("step", "source"), kit.transition_cases(ProgressReport))
@pytest.mark.parametrize("persona", ALL)
def test_each_persona_takes_exactly_its_report_steps(
    client_for, api_for, personas, infra_report, persona, step, source, via
):
    report = kit.put_in_state(infra_report, source)
    api = via == "api"
    kit.assert_step(
        client=api_for(persona) if api else client_for(persona),
        obj=report,
        name=step,
        url=kit.api_step_url("api-report", report, step)
        if api
        else reverse("reporting:review", args=[report.pk]),
        expected=expected(persona, step),
        actor=personas[persona],
        api=api,
    )


@pytest.fixture
def item(infra_report):
    return CoordinationItem.objects.create(
        report=infra_report, project=infra_report.project, subject="协调管线迁改"
    )


@pytest.mark.parametrize("via", ["page", "api"])
@pytest.mark.parametrize(("step", "source"), kit.transition_cases(CoordinationItem))
@pytest.mark.parametrize("persona", ALL)
def test_each_persona_takes_exactly_its_coordination_steps(
    client_for, api_for, personas, item, persona, step, source, via
):
    item = kit.put_in_state(item, source)
    api = via == "api"
    kit.assert_step(
        client=api_for(persona) if api else client_for(persona),
        obj=item,
        name=step,
        url=kit.api_step_url("api-coordination-item", item, step)
        if api
        else item.get_absolute_url(),
        expected=expected(persona, step),
        actor=personas[persona],
        api=api,
    )


# --- the declaration feeds the page: buttons per persona and state ----------------------------


@pytest.mark.parametrize(
    ("persona", "state", "buttons"),
    [
        ("reporter", ReportStatus.DRAFT, ["submit"]),
        ("reporter", ReportStatus.RETURNED, ["resubmit"]),
        ("reporter", ReportStatus.SUBMITTED, []),
        ("officer", ReportStatus.DRAFT, []),
        ("officer", ReportStatus.SUBMITTED, ["accept", "return"]),
        ("officer_design", ReportStatus.ACCEPTED, ["reopen"]),
        ("leader", ReportStatus.SUBMITTED, []),
        ("admin", ReportStatus.SUBMITTED, ["accept", "return"]),
    ],
)
def test_the_page_shows_the_buttons_of_the_steps_the_persona_may_take_now(
    client_for, infra_report, persona, state, buttons
):
    kit.put_in_state(infra_report, state)
    html = client_for(persona).get(infra_report.get_absolute_url()).content.decode()
    shown = [step for step in WHO if f'data-step="{step}"' in html]
    assert sorted(shown) == sorted(buttons)
    assert ('name="comment"' in html) == any(b in ("accept", "return", "reopen") for b in buttons)


def test_available_transitions_follow_state_and_person(personas, infra_report):
    report = kit.put_in_state(infra_report, ReportStatus.SUBMITTED)
    names = [t.name for t in workflow.available_transitions(personas["officer"], report)]
    assert names == ["accept", "return"]
    assert workflow.available_transitions(personas["reporter"], report) == []


# --- the one service: comment, state, conflict, event and hooks -----------------------------------


def test_a_required_comment_is_refused_at_the_field_and_nothing_is_written(personas, infra_report):
    report = kit.put_in_state(infra_report, ReportStatus.SUBMITTED)
    with pytest.raises(workflow.ValidationError) as info, translation.override("en"):
        workflow.transition_perform(actor=personas["officer"], obj=report, name="return",
                                    comment="  ")  # fmt: skip
    assert info.value.message_dict == {"comment": ["Say what needs fixing."]}
    report.refresh_from_db()
    assert (report.status, report.version, report.events.count()) == ("submitted", 1, 0)


def test_a_comment_past_the_limit_is_refused(personas, infra_report, settings):
    settings.PORTAL = {**settings.PORTAL, "TEXT_MAX_LENGTH": 10}
    report = kit.put_in_state(infra_report, ReportStatus.SUBMITTED)
    with pytest.raises(workflow.ValidationError) as info:
        workflow.transition_perform(actor=personas["officer"], obj=report, name="accept",
                                    comment="很" * 11)  # fmt: skip
    assert list(info.value.message_dict) == ["comment"]


def test_a_stale_version_is_a_conflict_and_the_winner_keeps_the_row(personas, infra_report):
    report = kit.put_in_state(infra_report, ReportStatus.SUBMITTED)
    other = ProgressReport.objects.get(pk=report.pk)
    workflow.transition_perform(actor=personas["officer"], obj=other, name="accept")
    with pytest.raises(workflow.ConflictError):
        workflow.transition_perform(actor=personas["admin"], obj=report, name="return",
                                    comment="退回", version=1)  # fmt: skip
    report.refresh_from_db()
    assert (report.status, report.version, report.reviewed_by) == (
        "accepted", 2, personas["officer"])  # fmt: skip
    assert [e.action for e in report.events.all()] == ["accept"]


def test_a_step_from_the_wrong_state_names_the_state_and_the_step(personas, infra_report):
    with pytest.raises(workflow.ValidationError) as info, translation.override("en"):
        workflow.transition_perform(actor=personas["officer"], obj=infra_report, name="accept")
    assert info.value.code == "state"
    assert "Draft" in info.value.messages[0] and "Accept" in info.value.messages[0]


def test_the_event_the_history_and_the_notice_name_the_actor(
    personas, infra_report, django_capture_on_commit_callbacks
):
    from portal.models import Notification

    report = kit.put_in_state(infra_report, ReportStatus.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition_perform(actor=personas["officer"], obj=report, name="return",
                                    comment="请补充问题")  # fmt: skip
    event = report.events.get()
    assert (event.from_state, event.to_state, event.actor, event.comment) == (
        "submitted", "returned", personas["officer"], "请补充问题")  # fmt: skip
    assert report.history.first().history_user == personas["officer"]
    # The owning subsidiary's fillers hear of it; the officer does not notify himself.
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"manager", "reporter"}


def test_the_signal_is_sent_after_commit_only(personas, infra_report,
                                              django_capture_on_commit_callbacks):  # fmt: skip
    heard = []

    def listen(sender, **kwargs):
        heard.append((sender, kwargs["name"], kwargs["source"], kwargs["target"]))

    workflow.transitioned.connect(listen)
    try:
        report = kit.put_in_state(infra_report, ReportStatus.SUBMITTED)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            workflow.transition_perform(actor=personas["officer"], obj=report, name="accept")
        assert heard == []
        for callback in callbacks:
            callback()
        assert heard == [(ProgressReport, "accept", "submitted", "accepted")]
    finally:
        workflow.transitioned.disconnect(listen)


def test_coordination_items_use_the_same_claim(personas, infra_report):
    item = CoordinationItem.objects.create(
        report=infra_report, project=infra_report.project, subject="协调用地"
    )
    stale = CoordinationItem.objects.get(pk=item.pk)
    workflow.transition_perform(actor=personas["officer"], obj=item, name="answer",
                                comment="已协调")  # fmt: skip
    with pytest.raises(workflow.ConflictError):
        workflow.transition_perform(actor=personas["admin"], obj=stale, name="answer",
                                    comment="另一答复")  # fmt: skip
    item.refresh_from_db()
    assert (item.status, item.answer, item.version) == (CoordinationStatus.ANSWERED, "已协调", 2)


# --- free text: one limit for the page, the API and Excel (portal.limits) -------------------------


def test_a_text_past_the_limit_is_refused_at_its_field_by_the_page_and_the_api(
    client_for, api_for, infra_report, settings
):
    settings.PORTAL = {**settings.PORTAL, "TEXT_MAX_LENGTH": 20}
    long_text = "施" * 21
    page = client_for("reporter").post(
        reverse("reporting:edit", args=[infra_report.pk]),
        {"version": 1, "investment": "1", "progress_text": long_text, "action": "save",
         "problems-TOTAL_FORMS": 0, "problems-INITIAL_FORMS": 0,
         "coordination-TOTAL_FORMS": 0, "coordination-INITIAL_FORMS": 0},
    )  # fmt: skip
    html = page.content.decode()
    assert 'data-field-error="progress_text"' in html and long_text in html  # kept, not saved
    assert 'maxlength="20"' in html
    api = api_for("reporter").patch(
        reverse("api-report-detail", args=[infra_report.pk]),
        {"version": 1, "progress_text": long_text},
        format="json",
    )
    assert api.status_code == 400 and list(api.json()) == ["progress_text"]
    infra_report.refresh_from_db()
    assert (infra_report.progress_text, infra_report.version) == ("", 1)


def test_a_comment_past_the_limit_on_the_page_keeps_what_was_typed(
    client_for, infra_report, settings
):
    settings.PORTAL = {**settings.PORTAL, "TEXT_MAX_LENGTH": 10}
    kit.put_in_state(infra_report, ReportStatus.SUBMITTED)
    response = client_for("officer").post(
        reverse("reporting:review", args=[infra_report.pk]),
        {"action": "return", "comment": "请" * 11, "version": 1},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="comment"' in html and "请" * 11 in html
    infra_report.refresh_from_db()
    assert infra_report.status == ReportStatus.SUBMITTED


def test_an_amount_past_the_fields_digits_is_a_400_at_its_field_not_a_500(api_for, infra_report):
    for amount in ["1e30", "1e400", "12345678901234567.5"]:
        response = api_for("reporter").patch(
            reverse("api-report-detail", args=[infra_report.pk]),
            {"version": 1, "investment": amount},
            format="json",
        )
        assert response.status_code == 400, (amount, response.content)
        assert list(response.json()) == ["investment"]


def test_more_problem_rows_than_a_report_carries_are_refused(api_for, infra_report):
    body = {"version": 1, "problems": [{"description": f"问题{i}"} for i in range(31)]}
    response = api_for("reporter").patch(
        reverse("api-report-detail", args=[infra_report.pk]), body, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["problems"]
    assert infra_report.problems.count() == 0


def test_a_resubmitted_report_names_no_reviewer_until_it_is_reviewed_again(
    client_for, personas, infra_report
):
    report = kit.put_in_state(infra_report, ReportStatus.SUBMITTED)
    workflow.transition_perform(actor=personas["officer"], obj=report, name="return",
                                comment="补充")  # fmt: skip
    workflow.transition_perform(actor=personas["reporter"], obj=report, name="resubmit")
    report.refresh_from_db()
    assert (report.reviewed_by, report.reviewed_at) == (None, None)
    row = client_for("officer").get(reverse("reporting:list")).content.decode()
    assert "officer" not in row.split(report.project.code, 1)[1].split("</tr>", 1)[0]
    assert [e.actor.username for e in report.events.all()] == ["officer", "reporter"]
