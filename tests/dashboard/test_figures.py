"""The cockpit's vocabulary (portal.figures): the function apps' measures fill the function cards
and their facts colour projects, through the constants both sides share; an organisation-keyed
provider adds its own section, computed only when the cockpit's body is rendered, never for a
cached page."""

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dashboard import rules, services
from dashboard.views import FUNCTION_CARDS
from portal import figures
from portal.figures import Fact, FigureProvider, Measure, Measures, OrgFigureProvider
from portal.money import to_fen
from projects.models import Project
from tests.dashboard.conftest import empty_caches

COCKPIT = reverse("dashboard:cockpit")
FUNCTION_MEASURES = (
    Measures.PERMITS_WAITING, Measures.PERMITS_OVERDUE, Measures.TENDERS_THIS_MONTH,
    Measures.CONTRACTS_AMOUNT, Measures.CONTRACTS_PAID, Measures.FINDINGS_OPEN,
    Measures.FINDINGS_OVERDUE, Measures.DESIGN_CHANGES_WAITING, Measures.ESTIMATE_OVERRUNS,
)  # fmt: skip


@pytest.fixture
def browse(client, client_for, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client_for


def section(html: str, testid: str, end: str = "</table>") -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index(end, start)]


# --- a test-only provider for the four functions ------------------------------------------------


@pytest.fixture
def function_apps(group):
    """A stand-in for the function apps: permits, tenders, contracts and findings of three
    projects, with the facts their rules read, registered before the rollup runs."""
    a, bz_a, bz_b = group["JC-A"], group["BZ-A"], group["BZ-B"]
    table = {
        a.pk: {
            Measures.PERMITS_WAITING.key: 3, Measures.PERMITS_OVERDUE.key: 1,
            Measures.TENDERS_THIS_MONTH.key: 1,
            Measures.CONTRACTS_AMOUNT.key: to_fen("10000000"),
            Measures.CONTRACTS_PAID.key: to_fen("4500000.50"),
            Measures.FINDINGS_OPEN.key: 2, Measures.FINDINGS_OVERDUE.key: 1,
            Fact.PERMIT_OVERDUE: {"days": 40, "name": "施工许可证", "url": "/permits/1/"},
            Measures.DESIGN_CHANGES_WAITING.key: 2, Measures.ESTIMATE_OVERRUNS.key: 1,
        },
        bz_a.pk: {
            Measures.PERMITS_WAITING.key: 2, Measures.PERMITS_OVERDUE.key: 1,
            Measures.TENDERS_THIS_MONTH.key: 2,
            Measures.CONTRACTS_AMOUNT.key: to_fen("5000000"),
            Measures.CONTRACTS_PAID.key: to_fen("3000000"),
            Measures.FINDINGS_OPEN.key: 1,
            Fact.PAYMENTS: {"paid_pct": 60, "progress_pct": 30, "url": "/contracts/7/"},
        },
        bz_b.pk: {
            Fact.CRITICAL_FINDING_OVERDUE: {"days": 3, "name": "脚手架未验收", "url": "/f/2/"},
        },
    }  # fmt: skip

    def provide(project_ids, today):
        wanted = table if project_ids is None else {pk: table[pk] for pk in project_ids
                                                    if pk in table}  # fmt: skip
        return {pk: dict(values) for pk, values in wanted.items()}

    provider = FigureProvider(name="test-functions", measures=FUNCTION_MEASURES, figures=provide)
    figures.register(provider)
    services.rollup_full()
    yield group
    figures.unregister(provider.name)


def test_the_function_cards_wait_for_their_modules(browse, group):
    services.rollup_full()
    html = browse("leader").get(COCKPIT).content.decode()
    cards = section(html, "function-cards", '<div class="row g-2 mb-3">')
    registered = figures.measures()
    waiting = [c for c in FUNCTION_CARDS if not all(m.key in registered for m in c.measures)]
    assert waiting, "a card of a function not built yet (procurement, supervision)"
    assert cards.count("Shown once the") == len(waiting)
    for card in waiting:
        assert f"Shown once the {card.module} module is in use" in cards
        assert f'data-testid="card-{card.measures[0].key}"' not in cards


def test_the_function_cards_show_what_the_apps_bring(browse, function_apps):
    html = browse("leader").get(COCKPIT).content.decode()
    assert "Shown once the" not in html
    assert re.search(r'data-testid="card-permits_waiting">5 / 2<', html)
    assert re.search(r'data-testid="card-tenders_this_month">3<', html)
    # Paid of contracted, as a ratio of the sums: 7,500,000.50 of 15,000,000, not 45% + 60%.
    assert re.search(r'data-testid="card-contracts_paid">50.0%<', html)
    assert re.search(r'data-testid="card-findings_open">3 / 1<', html)
    # Counts join the open items; the contract sums (whole fen) do not.
    items = section(html, "items-card", "</ul>")
    assert "Permits waiting" in items and "Findings open" in items
    assert "Contract amount" not in items and "1500000000" not in items


def test_a_subsidiarys_cards_hold_its_own_projects(browse, function_apps):
    html = browse("reporter").get(COCKPIT).content.decode()
    assert re.search(r'data-testid="card-permits_waiting">3 / 1<', html)
    assert re.search(r'data-testid="card-contracts_paid">45.0%<', html)  # 4,500,000.50 of 10m


def test_the_rules_read_the_facts_the_apps_emit(browse, function_apps):
    red = section(browse("leader").get(COCKPIT).content.decode(), "red-list")
    codes = re.findall(r">((?:JC|BZ)-[A-Z])</a>", red)
    assert {"JC-A", "BZ-A", "BZ-B"} <= set(codes)  # green, amber, amber without the facts
    assert "Permit “施工许可证” 40 days overdue" in red
    assert "Paid 60% of contracts against 30% progress" in red
    assert "Critical finding “脚手架未验收” 3 days past its deadline" in red
    assert "/permits/1/" in red and "/contracts/7/" in red


def test_the_fact_keys_are_the_rules_keys():
    facts = rules.Facts(today=None, planned=Decimal(0), completed_ytd=Decimal(0),
                        elapsed_pct=Decimal(0),
                        extra={"permit_overdue": {"days": 40, "name": "x"}})  # fmt: skip
    assert rules.permit_overdue(facts).params["days"] == 40  # a plain string key is the same
    assert Fact.CRITICAL_FINDING_OVERDUE == "critical_finding_overdue"
    assert {m.function for m in FUNCTION_MEASURES} == {"preliminary", "design", "procurement",
                                                       "supervision"}  # fmt: skip


# --- an organisation-keyed provider ------------------------------------------------------------


class Indicators:
    """A stand-in for the campaign's indicators: one query per call, and the calls recorded."""

    def __init__(self):
        self.calls = []

    def __call__(self, org_ids, year, today):
        self.calls.append((None if org_ids is None else sorted(org_ids), year, today))
        counts = (Project.objects.filter(owner_id__in=org_ids).order_by()
                  .values_list("owner_id").annotate(n=Count("pk")))  # fmt: skip
        return {org: {"battles": n, "invested": to_fen(Decimal("1234567.89") * n),
                      "rate": 12.5 * n} for org, n in counts}  # fmt: skip


@pytest.fixture
def indicators(group):
    provide = Indicators()
    provider = OrgFigureProvider(
        name="test-campaign", title="百日攻坚指标", figures=provide,
        measures=(Measure("battles", "Battles"), Measure("invested", "Invested", amount=True),
                  Measure("rate", "Rate", summed=False)),
    )  # fmt: skip
    figures.register_org(provider)
    services.rollup_full()
    yield provide
    figures.unregister_org(provider.name)


def test_no_section_without_an_organisation_provider(browse, group):
    services.rollup_full()
    assert 'data-testid="org-figures"' not in browse("leader").get(COCKPIT).content.decode()


def test_the_group_sees_every_subsidiarys_indicators_and_their_sum(browse, indicators, orgs, today):
    html = browse("leader").get(COCKPIT).content.decode()
    found = section(html, "org-figures")
    assert "百日攻坚指标" in found
    # infra: JC-A, JC-B, JC-C; housing: BZ-A .. BZ-D. Amounts in 万元, rates not summed.
    assert re.search(r"基础设施公司</td><td[^>]*>3</td><td[^>]*>370.37</td><td[^>]*>37.5<", found)
    assert re.search(r"保障房公司</td><td[^>]*>4</td><td[^>]*>493.83</td><td[^>]*>50<", found)
    assert re.search(r"All</th><th[^>]*>7</th><th[^>]*>864.20</th><th[^>]*>—<", found)
    assert indicators.calls == [(sorted([orgs["infra"].pk, orgs["housing"].pk]), 2026, today)]


def test_a_subsidiarys_staff_see_only_their_own_indicators(browse, indicators, orgs):
    html = browse("reporter").get(COCKPIT).content.decode()
    found = section(html, "org-figures")
    assert "基础设施公司" in found and "保障房公司" not in found and "All</th>" not in found
    assert [ids for ids, _year, _today in indicators.calls] == [[orgs["infra"].pk]]


def test_the_drill_down_narrows_the_indicators(browse, indicators, orgs):
    html = browse("leader").get(COCKPIT, {"organisation": "housing"}).content.decode()
    assert "保障房公司</td>" in section(html, "org-figures")
    assert [ids for ids, _year, _today in indicators.calls] == [[orgs["housing"].pk]]


def test_the_indicators_are_computed_on_a_render_only(browse, group, orgs, today):
    """Registering a provider costs its own queries on a render of the cockpit's body, and none
    on a cached page: the cached page costs the user only (the rollups' version is cached)."""
    services.rollup_full()
    leader = browse("leader")

    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert leader.get(COCKPIT, params).status_code == 200
        return len(captured)

    empty_caches()
    render_without = queries()
    cached_without = queries()
    provide = Indicators()
    provider = OrgFigureProvider(name="test-count", title="指标", figures=provide,
                                 measures=(Measure("battles", "Battles"),))  # fmt: skip
    figures.register_org(provider)
    try:
        empty_caches()
        assert queries() == render_without + 1  # the provider's one query
        assert queries() == cached_without == 0  # no provider call (the user is cached too)
        assert len(provide.calls) == 1
    finally:
        figures.unregister_org(provider.name)


def test_the_export_has_a_sheet_of_indicators(browse, indicators):
    response = browse("leader").get(COCKPIT, {"format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    header, *rows = book["百日攻坚指标"].iter_rows(values_only=True)
    assert header == ("Subsidiary", "Battles", "Invested", "Rate")
    by_name = {row[0]: row[1:] for row in rows}
    assert by_name["基础设施公司"] == (3, pytest.approx(370.370367), 37.5)  # 万元, as labelled
    assert by_name["保障房公司"] == (4, pytest.approx(493.827156), 50)
