"""Every persona × every declared step of a design change, through the page and the API
(tests/kit.py), each step tried on a change of the tier whose route it belongs to; then the
route's refusals: a step off the change's tier is refused with 403 and the tier named.

A step added to `DesignChange` is picked up here from its declaration; the test then fails
until WHO below says who may take it."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from design import services
from design.choices import ChangeStatus, Tier
from design.models import DesignChange
from portal import workflow
from tests import kit
from tests.personas import ALL

FILLERS = {"manager", "reporter"}  # the owning subsidiary
CENTRE = {"officer", "officer_design", "admin"}  # design officers; administrators take all
SEES_INFRA = {"leader", "officer", "officer_design", "admin", "manager", "reporter"}

WHO = {
    "submit": FILLERS | CENTRE,
    "resubmit": FILLERS | CENTRE,
    "withdraw": FILLERS | CENTRE,
    "approve_minor": {"manager", "admin"},
    "approve_major": CENTRE,
    "recommend": CENTRE,
    "approve_critical": CENTRE,
    "return": CENTRE,  # on a major change: whoever approves it
}
# The tier of the change each step is tried on: the tier whose route the step is on.
TIER = {"approve_minor": "minor", "recommend": "critical", "approve_critical": "critical"}


def expected(persona: str, step: str) -> int:
    if persona in WHO[step]:
        return 200
    return 403 if persona in SEES_INFRA else 404


def test_every_declared_step_says_who_takes_it():
    assert {name for name, _source in kit.transition_cases(DesignChange)} == set(WHO)


@pytest.mark.parametrize("via", ["page", "api"])
@pytest.mark.parametrize(("step", "source"), kit.transition_cases(DesignChange))
@pytest.mark.parametrize("persona", ALL)
def test_each_persona_takes_exactly_its_steps(
    client_for, api_for, personas, make_change, persona, step, source, via
):
    change = kit.put_in_state(make_change(TIER.get(step, "major")), source)
    if source == ChangeStatus.RECOMMENDED:
        change = kit.put_in_state(make_change("critical", number="BG-R"), source)
    api = via == "api"
    kit.assert_step(
        client=api_for(persona) if api else client_for(persona),
        obj=change,
        name=step,
        url=kit.api_step_url("api-design-change", change, step)
        if api
        else change.get_absolute_url(),
        expected=expected(persona, step),
        actor=personas[persona],
        api=api,
    )


# --- the route follows the tier ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "persona", "step", "named"),
    [
        ("major", "manager", "approve_minor", "Major (centre)"),
        ("critical", "manager", "approve_minor", "Critical (group meeting)"),
        ("critical", "officer_design", "approve_major", "Critical (group meeting)"),
        ("critical", "admin", "approve_major", "Critical (group meeting)"),
        ("minor", "officer_design", "approve_major", "Minor (subsidiary)"),
        ("major", "officer", "recommend", "Major (centre)"),
        ("major", "manager", "return", "Major (centre)"),
        ("minor", "officer_design", "return", "Minor (subsidiary)"),
    ],
)
@pytest.mark.parametrize("via", ["page", "api"])
def test_a_step_off_the_tiers_route_is_refused_with_the_tier_named(
    client_for, api_for, make_change, tier, persona, step, named, via
):
    change = kit.put_in_state(make_change(tier), ChangeStatus.SUBMITTED)
    body = kit.step_body(change, step)
    with translation.override("en"):
        if via == "api":
            api = api_for(persona)
            api.cookies["django_language"] = "en"  # Accept-Language is not consulted
            response = api.post(
                kit.api_step_url("api-design-change", change, step), body, format="json"
            )
            text = response.json()["detail"]
        else:
            client = client_for(persona)
            client.cookies["django_language"] = "en"
            response = client.post(change.get_absolute_url(), {**body, "action": step})
            text = response.content.decode()
    assert response.status_code == 403
    assert named in text
    change.refresh_from_db()
    assert (change.status, change.version, change.events.count()) == ("submitted", 1, 0)


def test_a_critical_change_goes_through_the_centre_and_the_group_meeting(personas, make_change):
    change = make_change("critical")
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    services.change_step(actor=personas["officer_design"], change=change, name="recommend",
                         comment="建议提交集团总经理办公会审议")  # fmt: skip
    with pytest.raises(workflow.ValidationError) as info:
        services.change_step(actor=personas["officer_design"], change=change,
                             name="approve_critical", comment="")  # fmt: skip
    assert list(info.value.message_dict) == ["comment"]  # the minutes number is required
    minutes = "总经理办公会纪要〔2026〕12号 同意"
    services.change_step(actor=personas["officer_design"], change=change,
                         name="approve_critical", comment=minutes)  # fmt: skip
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    assert change.meeting_minutes == minutes
    assert change.amount_approved == change.amount_requested  # none set: the request
    trail = [(e.action, e.actor.username, e.from_state, e.to_state) for e in change.events.all()]
    assert trail == [
        ("submit", "reporter", "draft", "submitted"),
        ("recommend", "officer_design", "submitted", "recommended"),
        ("approve_critical", "officer_design", "recommended", "approved"),
    ]


def test_an_approved_amount_above_the_minor_limit_moves_the_change_to_the_centre(
    personas, make_change
):
    change = make_change("minor")
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    services.change_set_decision(actor=personas["manager"], change=change, version=2,
                                 amount_approved=Decimal("120000"),
                                 approval_note="现场核实工程量增加")  # fmt: skip
    change.refresh_from_db()
    assert change.tier == Tier.MAJOR
    assert not services.may_decide(personas["manager"], change)
    with pytest.raises(workflow.PermissionDenied):
        services.change_step(actor=personas["manager"], change=change, name="approve_minor")
    services.change_step(actor=personas["officer_design"], change=change, name="approve_major")
    change.refresh_from_db()
    assert (change.status, change.amount_approved) == ("approved", Decimal("120000"))


def test_a_contract_whose_changes_pass_the_share_makes_the_next_change_critical(
    personas, make_change
):
    contract = {"contract_name": "施工总承包合同", "contract_sum": Decimal("2000000")}
    first = make_change(amount=Decimal("90000"), **contract)  # 4.5 %: minor
    assert first.tier == Tier.MINOR
    services.change_step(actor=personas["reporter"], change=first, name="submit")
    services.change_step(actor=personas["manager"], change=first, name="approve_minor")
    second = make_change(amount=Decimal("20000"), **contract)  # 110k of 2m: 5.5 %
    assert (second.tier, second.cumulative_share_pct) == (Tier.CRITICAL, Decimal("5.50"))


def test_a_change_approved_meanwhile_on_the_same_contract_is_counted_at_approval(
    personas, make_change
):
    contract = {"contract_name": "施工总承包合同", "contract_sum": Decimal("1000000")}
    first = make_change(amount=Decimal("30000"), **contract)
    second = make_change(amount=Decimal("30000"), **contract)
    for change in (first, second):
        services.change_step(actor=personas["reporter"], change=change, name="submit")
    services.change_step(actor=personas["manager"], change=first, name="approve_minor")
    second.refresh_from_db()
    with pytest.raises(workflow.PermissionDenied):  # 6 % now: the group meeting's
        services.change_step(actor=personas["manager"], change=second, name="approve_minor")
    services.change_step(actor=personas["officer_design"], change=second, name="recommend",
                         comment="累计超过合同价5%")  # fmt: skip
    second.refresh_from_db()
    assert (second.tier, second.status) == (Tier.CRITICAL, ChangeStatus.RECOMMENDED)


def test_only_the_submitter_withdraws(personas, make_change):
    change = make_change()
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    with pytest.raises(workflow.PermissionDenied):
        services.change_step(actor=personas["manager"], change=change, name="withdraw")
    services.change_step(actor=personas["reporter"], change=change, name="withdraw")
    change.refresh_from_db()
    assert change.status == ChangeStatus.DRAFT


@pytest.mark.parametrize(
    ("persona", "tier", "buttons"),
    [
        ("manager", "minor", ["approve_minor", "return"]),
        ("manager", "major", []),
        ("officer_design", "major", ["approve_major", "return"]),
        ("officer_design", "critical", ["recommend", "return"]),
        ("officer_design", "minor", []),
        ("admin", "minor", ["approve_minor", "withdraw", "return"]),
        ("reporter", "major", ["withdraw"]),
        ("leader", "major", []),
    ],
)
def test_the_page_offers_only_the_steps_on_the_changes_route(
    client_for, personas, make_change, persona, tier, buttons
):
    change = make_change(tier)
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    html = client_for(persona).get(change.get_absolute_url()).content.decode()
    shown = [step for step in WHO if f'data-step="{step}"' in html]
    assert sorted(shown) == sorted(buttons)


def test_a_return_needs_a_comment_and_lands_in_the_subsidiarys_inbox(
    client_for, personas, make_change
):
    change = make_change()
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    client = client_for("officer_design")
    body = {"action": "return", "comment": " ", "version": change.version}
    response = client.post(change.get_absolute_url(), body)
    assert response.status_code == 200 and 'data-field-error="comment"' in response.content.decode()
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED
    services.change_step(actor=personas["officer_design"], change=change, name="return",
                         comment="请补充工程量对比")  # fmt: skip
    inbox = client_for("reporter").get(reverse("inbox")).content.decode()
    assert change.number in inbox
    assert change.number not in client_for("reporter2").get(reverse("inbox")).content.decode()


def test_the_officers_inbox_lists_what_waits_at_the_centres_tiers(client_for, personas,
                                                                 make_change):  # fmt: skip
    major = make_change("major")
    minor = make_change("minor")
    for change in (major, minor):
        services.change_step(actor=personas["reporter"], change=change, name="submit")
    officer = client_for("officer_design").get(reverse("inbox")).content.decode()
    assert major.number in officer and minor.number not in officer
    manager = client_for("manager").get(reverse("inbox")).content.decode()
    assert minor.number in manager and major.number not in manager


def test_the_deciders_are_told_and_the_subsidiary_hears_the_decision(
    personas, make_change, django_capture_on_commit_callbacks
):
    from portal.models import Notification

    change = make_change("major")
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"officer", "officer_design"}
    Notification.objects.all().delete()
    services.change_step(actor=personas["officer_design"], change=change, name="approve_major")
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"manager", "reporter"}
