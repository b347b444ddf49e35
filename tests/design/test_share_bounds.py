"""A contract sum far smaller than the change: the cumulative share is a huge percentage. The
change is critical, and its stored share stays within its column, so the change, the register
and the API still read it (it once poisoned the register with a 500)."""

from decimal import Decimal

from django.urls import reverse

from design.choices import Tier
from design.models import DesignChange

SHARE_MAX = Decimal("9999999.99")


def test_a_tiny_contract_sum_through_the_api_is_stored_critical_with_a_bounded_share(
    api_for, infra_project
):
    api = api_for("reporter")
    response = api.post(reverse("api-design-change-list"), {
        "project": infra_project.code, "reason": "管线迁改", "kind": "design_change",
        "amount_requested": "10000000", "contract_name": "施工总承包", "contract_sum": "1",
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    change = DesignChange.objects.get()
    assert change.tier == Tier.CRITICAL
    assert change.cumulative_share_pct == SHARE_MAX
    assert api.get(reverse("api-design-change-list")).status_code == 200


def test_a_tiny_contract_sum_on_the_page_keeps_the_register_readable(client_for, infra_project):
    client = client_for("reporter")
    response = client.post(reverse("design:change-create"), {
        "project": infra_project.code, "reason": "管线迁改", "kind": "design_change",
        "amount_requested": "1000", "contract_name": "施工总承包", "contract_sum": "0.0001",
    })  # fmt: skip
    assert response.status_code == 302
    change = DesignChange.objects.get()
    assert (change.tier, change.cumulative_share_pct) == (Tier.CRITICAL, SHARE_MAX)
    assert client.get(reverse("design:changes")).status_code == 200
    assert client.get(change.get_absolute_url()).status_code == 200


def test_an_ordinary_share_is_stored_as_computed(make_change):
    change = make_change(
        amount=Decimal("30000"), contract_name="监理", contract_sum=Decimal("1000000")
    )
    assert (change.tier, change.cumulative_share_pct) == (Tier.MINOR, Decimal("3.00"))
