"""Every persona × every declared step of a permit item, through the page and the API
(tests/kit.py); the approve step with its number and date; bad input at the field."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation

from portal import workflow
from preliminary.choices import PermitStatus
from preliminary.models import PermitItem
from tests import kit
from tests.personas import ALL

SEES_INFRA = {"leader", "officer", "officer_design", "admin", "manager", "reporter"}
OWNERS = {"manager", "reporter"}  # the infrastructure company's people
CENTRE = {"officer", "admin"}  # holding preliminary work (officer_design does not)

WHO = {
    "start": CENTRE | OWNERS,
    "submit": CENTRE | OWNERS,
    "approve": CENTRE,
    "return": CENTRE,
    "not_applicable": CENTRE,
    "reinstate": CENTRE,
    "extend": CENTRE,
}
APPROVAL = {"document_number": "320105202611200101", "approved_date": "2026-11-19"}


def expected(persona: str, step: str) -> int:
    if persona in WHO[step]:
        return 200
    return 403 if persona in SEES_INFRA else 404


def test_every_declared_step_says_who_takes_it():
    assert {name for name, _source in kit.transition_cases(PermitItem)} == set(WHO)


@pytest.mark.parametrize("via", ["page", "api"])
@pytest.mark.parametrize(("step", "source"), kit.transition_cases(PermitItem))
@pytest.mark.parametrize("persona", ALL)
def test_each_persona_takes_exactly_its_permit_steps(
    client_for, api_for, personas, permit, persona, step, source, via
):
    PermitItem.objects.filter(pk=permit.pk).update(approved_date=datetime.date(2026, 9, 1))
    item = kit.put_in_state(permit, source)
    api = via == "api"
    body = kit.step_body(item, step)
    if step == "approve":
        body.update(APPROVAL)
    kit.assert_step(
        client=api_for(persona) if api else client_for(persona),
        obj=item,
        name=step,
        url=kit.api_step_url("api-permit-item", item, step)
        if api
        else reverse("preliminary:item-step", args=[item.pk]),
        expected=expected(persona, step),
        actor=personas[persona],
        api=api,
        body=body,
    )


@pytest.mark.parametrize(
    ("persona", "state", "buttons"),
    [
        ("reporter", PermitStatus.NOT_STARTED, ["start", "submit"]),
        ("reporter", PermitStatus.SUBMITTED, []),
        ("officer", PermitStatus.SUBMITTED, ["approve", "return", "not_applicable"]),
        ("officer_design", PermitStatus.SUBMITTED, []),
        ("officer", PermitStatus.APPROVED, ["extend"]),
        ("leader", PermitStatus.SUBMITTED, []),
        ("admin", PermitStatus.NOT_APPLICABLE, ["reinstate"]),
    ],
)
def test_the_page_shows_the_buttons_of_the_steps_the_persona_may_take_now(
    client_for, permit, persona, state, buttons
):
    kit.put_in_state(permit, state)
    html = client_for(persona).get(permit.get_absolute_url()).content.decode()
    shown = [step for step in WHO if f'data-step="{step}"' in html]
    assert sorted(shown) == sorted(buttons)
    assert ('data-testid="approve-form"' in html) == ("approve" in buttons)


# --- approving: the number and the date, at their fields -------------------------------------


def submitted(permit):
    PermitItem.objects.filter(pk=permit.pk).update(
        status=PermitStatus.SUBMITTED, submitted_date=datetime.date(2026, 11, 10)
    )
    permit.refresh_from_db()
    return permit


def post_approve(client, permit, **fields):
    data = {"action": "approve", "version": permit.version, "comment": "容缺受理", **APPROVAL,
            **fields}  # fmt: skip
    return client.post(reverse("preliminary:item-step", args=[permit.pk]), data)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"document_number": ""}, "document_number", "This field is required."),
        ({"document_number": "   "}, "document_number", "is required"),
        ({"approved_date": "2026-11-09"}, "approved_date", "before the submission (2026-11-10)"),
        ({"approved_date": "2026-11-21"}, "approved_date", "cannot be in the future"),
        ({"approved_date": "2026/13/40"}, "approved_date", "valid date"),
        ({"valid_until": "2026-11-18"}, "valid_until", "before the approval date"),
    ],
)
def test_a_bad_approval_is_refused_at_the_field_and_what_was_typed_stays(
    client_for, permit, fields, field, message, settings
):
    permit = submitted(permit)
    client = client_for("officer")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post_approve(client, permit, **fields)
    html = response.content.decode()
    assert response.status_code == 200
    error = html.split(f'data-field-error="{field}"', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert "容缺受理" in html  # the comment typed is kept
    for value in fields.values():
        if value.strip():
            assert f'value="{value}"' in html
    permit.refresh_from_db()
    assert (permit.status, permit.version, permit.document_number) == (
        PermitStatus.SUBMITTED, 1, "")  # fmt: skip


def test_the_item_page_gives_every_field_its_own_id(client_for, permit):
    """The approval form and the workflow panel both have a comment: each label must point at
    its own field."""
    permit = submitted(permit)
    html = client_for("officer").get(reverse("preliminary:item", args=[permit.pk])).content
    ids = re.findall(r'\sid="([^"]+)"', html.decode())
    assert {"approval_comment", "approval_document_number", "id_comment"} <= set(ids)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert 'for="approval_comment"' in html.decode()


def test_an_approval_before_its_prerequisites_without_a_reason_names_them_at_the_comment(
    client_for, permit, settings
):
    permit = submitted(permit)
    client = client_for("officer")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = post_approve(client, permit, comment="").content.decode()
    error = html.split('data-field-error="comment"', 1)[1].split("</div>", 1)[0]
    assert "建设工程规划许可证" in error and "施工图审查（含消防、人防）" in error
    assert 'value="320105202611200101"' in html
    permit.refresh_from_db()
    assert permit.status == PermitStatus.SUBMITTED


def test_the_approval_is_recorded_with_its_number_and_shown(client_for, permit, personas):
    permit = submitted(permit)
    client = client_for("officer")
    assert post_approve(client, permit).status_code == 302
    permit.refresh_from_db()
    assert (permit.status, permit.document_number, permit.approved_date, permit.approved_by) == (
        PermitStatus.APPROVED, "320105202611200101", datetime.date(2026, 11, 19),
        personas["officer"])  # fmt: skip
    assert permit.valid_until == datetime.date(2027, 2, 19)  # the 3-month start window
    assert permit.override_reason == "容缺受理"
    html = client.get(permit.get_absolute_url()).content.decode()
    assert "320105202611200101" in html and 'data-testid="override-reason"' in html


def test_the_api_refuses_an_approval_without_a_number_with_a_400_at_the_field(api_for, permit):
    permit = submitted(permit)
    url = reverse("api-permit-item-approve", args=[permit.pk])
    api = api_for("officer")
    with translation.override("en"):
        response = api.post(url, {"approved_date": "2026-11-19", "document_number": " ",
                                  "comment": "x"}, format="json")  # fmt: skip
    assert response.status_code == 400 and list(response.json()) == ["document_number"]
    response = api.post(url, {"approved_date": "2026-11-19"}, format="json")
    assert response.status_code == 400 and "document_number" in response.json()
    response = api.post(url, {**APPROVAL, "status": "approved"}, format="json")
    assert response.status_code == 400  # unknown key
    response = api.post(url, {**APPROVAL, "comment": "容缺", "version": 7}, format="json")
    assert response.status_code == 409
    permit.refresh_from_db()
    assert permit.status == PermitStatus.SUBMITTED


def test_returning_needs_a_reason_and_the_subsidiary_sees_it(client_for, permit):
    permit = submitted(permit)
    response = client_for("officer").post(
        reverse("preliminary:item-step", args=[permit.pk]),
        {"action": "return", "version": 1, "comment": " "},
    )
    assert 'data-field-error="comment"' in response.content.decode()
    client_for("officer").post(
        reverse("preliminary:item-step", args=[permit.pk]),
        {"action": "return", "version": 1, "comment": "缺少消防审查意见"},
    )
    permit.refresh_from_db()
    assert (permit.status, permit.return_comment) == (PermitStatus.PREPARING, "缺少消防审查意见")
    html = client_for("reporter").get(permit.get_absolute_url()).content.decode()
    assert "缺少消防审查意见" in html
    workflow.transition_perform(actor=_reporter(), obj=permit, name="submit")
    permit.refresh_from_db()
    assert permit.return_comment == ""


def _reporter():
    from portal.models import User

    return User.objects.get(username="reporter")


def test_a_stale_version_is_a_conflict(personas, permit):
    permit = submitted(permit)
    other = PermitItem.objects.get(pk=permit.pk)
    workflow.transition_perform(actor=personas["officer"], obj=other, name="return",
                                comment="补充材料")  # fmt: skip
    with pytest.raises(workflow.ConflictError):
        workflow.transition_perform(actor=personas["admin"], obj=permit, name="not_applicable",
                                    comment="免办", version=1)  # fmt: skip
