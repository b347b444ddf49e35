"""The red/amber/green rules at their boundaries, with the default limits of settings.PORTAL["RAG"]
and with changed ones; the time-elapsed plan; how a cause reads. Then the same boundaries end to
end: records, a full rollup on a frozen clock, the colour stored for the cockpit."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from dashboard import rules, services
from dashboard.models import ProjectYear, Rag
from reporting.choices import ReportStatus
from tests.dashboard.conftest import SHANGHAI, TODAY, plan, report
from tests.factories import MilestoneFactory, ProjectFactory

D = Decimal


def facts(**changes) -> rules.Facts:
    values = {"today": TODAY, "planned": D("10000"), "completed_ytd": D("0"),
              "elapsed_pct": D("0")}  # fmt: skip
    values.update(changes)
    return rules.Facts(**values)


def level(cause):
    return None if cause is None else cause.level


@pytest.fixture
def limits(settings):
    """Change one limit of settings.PORTAL["RAG"] for a test (a copy: the shared dict stays)."""

    def change(**values):
        settings.PORTAL = {**settings.PORTAL, "RAG": {**settings.PORTAL["RAG"], **values}}

    return change


# --- investment against the time-elapsed plan --------------------------------------------------


@pytest.mark.parametrize(("completed", "expected"), [
    ("4001", None),  # 40.01% against 50% elapsed: 9.99 points behind
    ("4000", Rag.AMBER),  # 10 points
    ("2000", Rag.AMBER),  # 30 points
    ("1999", Rag.RED),  # 30.01 points
    ("0", Rag.RED),  # nothing done, half the year gone
    ("6000", None),  # ahead
])  # fmt: skip
def test_investment_lag_boundaries(completed, expected):
    cause = rules.investment_lag(facts(completed_ytd=D(completed), elapsed_pct=D("50"),
                                       reports_url="/reports/?q=X"))  # fmt: skip
    assert level(cause) == expected
    if cause:
        assert cause.params["lag"] == pytest.approx(50 - int(completed) / 100)
        assert cause.url == "/reports/?q=X"


def test_investment_lag_needs_a_plan():
    assert rules.investment_lag(facts(planned=D("0"), elapsed_pct=D("83.33"))) is None


def test_investment_lag_is_silent_in_january():
    # Nothing is due yet in January: elapsed 0, whatever has been done.
    assert rules.investment_lag(facts(elapsed_pct=D("0"), completed_ytd=D("0"))) is None
    today = datetime.date(2026, 1, 31)
    assert rules.time_elapsed_pct(2026, today) == 0


def test_a_changed_limit_moves_the_investment_boundary(limits):
    lag_8 = facts(completed_ytd=D("4200"), elapsed_pct=D("50"))
    lag_25 = facts(completed_ytd=D("2500"), elapsed_pct=D("50"))
    assert level(rules.investment_lag(lag_8)) is None
    assert level(rules.investment_lag(lag_25)) == Rag.AMBER
    limits(INVESTMENT_LAG_AMBER=5, INVESTMENT_LAG_RED=20)
    assert level(rules.investment_lag(lag_8)) == Rag.AMBER
    assert level(rules.investment_lag(lag_25)) == Rag.RED


# --- start date missed --------------------------------------------------------------------------


@pytest.mark.parametrize(("planned_start", "today", "expected"), [
    ("2026-11-23", "2026-11-23", None),  # planned for today: not late yet
    ("2026-12-01", "2026-11-23", None),  # in the future
    ("2026-11-22", "2026-11-23", Rag.AMBER),  # yesterday
    ("2026-08-24", "2026-11-23", Rag.AMBER),  # a day short of three months
    ("2026-08-23", "2026-11-23", Rag.RED),  # exactly three months
    ("2026-01-31", "2026-04-29", Rag.AMBER),  # 31 January + 3 months is 30 April
    ("2026-01-31", "2026-04-30", Rag.RED),
    ("2025-11-30", "2026-02-27", Rag.AMBER),  # 30 November + 3 months is 28 February
    ("2025-11-30", "2026-02-28", Rag.RED),
    ("2023-11-30", "2024-02-29", Rag.RED),  # leap year: 29 February
    ("2023-11-30", "2024-02-28", Rag.AMBER),
])  # fmt: skip
def test_start_missed_boundaries(planned_start, today, expected):
    planned, day = datetime.date.fromisoformat(planned_start), datetime.date.fromisoformat(today)
    cause = rules.start_missed(facts(today=day, planned_start=planned, project_url="/p/1/"))
    assert level(cause) == expected
    if cause:
        assert cause.params == {"planned_start": planned_start, "days": (day - planned).days}
        assert cause.url == "/p/1/"


def test_a_started_project_has_not_missed_its_start():
    late = facts(planned_start=datetime.date(2026, 1, 1), actual_start=datetime.date(2026, 6, 1))
    assert rules.start_missed(late) is None
    assert rules.start_missed(facts(planned_start=None)) is None


def test_a_changed_limit_moves_the_start_boundary(limits):
    two_months = facts(planned_start=datetime.date(2026, 9, 23))
    assert level(rules.start_missed(two_months)) == Rag.AMBER
    limits(START_MISSED_RED_MONTHS=2)
    assert level(rules.start_missed(two_months)) == Rag.RED


# --- rules on late items (days) -----------------------------------------------------------------

DAY_RULES = {
    # rule: (fact key, {days: expected level})
    "milestone_late": ("milestone_late", {-3: None, 0: None, 1: Rag.AMBER, 6: Rag.AMBER,
                                          7: Rag.ORANGE, 14: Rag.ORANGE, 15: Rag.RED,
                                          400: Rag.RED}),
    "report_late": ("report_late", {0: None, 1: Rag.AMBER, 14: Rag.AMBER, 15: Rag.RED}),
    "permit_overdue": ("permit_overdue", {0: None, 1: Rag.AMBER, 29: Rag.AMBER, 30: Rag.RED}),
    # A critical finding past its deadline is red from the first day with the default limit.
    "finding_overdue": ("critical_finding_overdue", {0: None, 1: Rag.RED, 2: Rag.RED}),
}  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "days", "expected"),
    [
        (rule, days, level)
        for rule, (_f, cases) in DAY_RULES.items()
        for days, level in cases.items()
    ],
)
def test_day_rules_boundaries(rule, days, expected):
    fact, _cases = DAY_RULES[rule]
    found = {"days": days, "name": "主桥合龙", "url": "/projects/9/#battle-map"}
    cause = getattr(rules, rule)(facts(extra={fact: found}))
    assert level(cause) == expected
    if cause:
        assert cause.rule == rule
        assert cause.url == "/projects/9/#battle-map"
        assert cause.params == {"days": days, "name": "主桥合龙"}  # the link is not a number


@pytest.mark.parametrize("rule", list(DAY_RULES))
def test_day_rules_without_their_fact_are_silent(rule):
    assert getattr(rules, rule)(facts()) is None
    assert getattr(rules, rule)(facts(extra={DAY_RULES[rule][0]: {}})) is None


def test_changed_limits_move_the_day_boundaries(limits):
    def at(rule, days):
        fact = DAY_RULES[rule][0]
        return level(getattr(rules, rule)(facts(extra={fact: {"days": days, "name": "x"}})))

    limits(MILESTONE_ORANGE_DAYS=3, MILESTONE_RED_DAYS=5, REPORT_LATE_RED_DAYS=3,
           PERMIT_OVERDUE_RED_DAYS=10, FINDING_OVERDUE_RED_DAYS=3)  # fmt: skip
    assert [at("milestone_late", d) for d in (2, 3, 4, 5)] == [
        Rag.AMBER, Rag.ORANGE, Rag.ORANGE, Rag.RED]  # fmt: skip
    assert [at("report_late", d) for d in (2, 3)] == [Rag.AMBER, Rag.RED]
    assert [at("permit_overdue", d) for d in (9, 10)] == [Rag.AMBER, Rag.RED]
    # With a grace period a critical finding is amber first.
    assert [at("finding_overdue", d) for d in (1, 2, 3)] == [Rag.AMBER, Rag.AMBER, Rag.RED]


# --- payments ahead of progress -----------------------------------------------------------------


@pytest.mark.parametrize(("paid", "progress", "expected"), [
    (60, 50, None),  # 10 points ahead: within the limit
    (40.7, 30.7, None),  # also 10 points (10.000000000000004 in floats)
    (60.01, 50, Rag.AMBER),
    (70, 50, Rag.AMBER),  # 20 points
    (70.01, 50, Rag.RED),
    (30, 50, None),  # behind progress: fine
])  # fmt: skip
def test_payment_ahead_boundaries(paid, progress, expected):
    found = {"paid_pct": paid, "progress_pct": progress, "url": "/contracts/3/"}
    cause = rules.payment_ahead(facts(extra={"payments": found}))
    assert level(cause) == expected
    if cause:
        assert cause.params["gap"] == pytest.approx(paid - progress)
        assert cause.url == "/contracts/3/"


def test_payment_ahead_needs_both_figures():
    assert rules.payment_ahead(facts(extra={"payments": {"paid_pct": 90}})) is None
    no_progress = {"paid_pct": 90, "progress_pct": None}
    assert rules.payment_ahead(facts(extra={"payments": no_progress})) is None


def test_a_changed_limit_moves_the_payment_boundary(limits):
    fifteen = facts(extra={"payments": {"paid_pct": 65, "progress_pct": 50}})
    assert level(rules.payment_ahead(fifteen)) == Rag.AMBER
    limits(PAYMENT_AHEAD_AMBER=15, PAYMENT_AHEAD_RED=16)
    assert level(rules.payment_ahead(fifteen)) is None
    limits(PAYMENT_AHEAD_AMBER=5, PAYMENT_AHEAD_RED=14.5)
    assert level(rules.payment_ahead(fifteen)) == Rag.RED


# --- the colour: worst cause, and green against not assessed ------------------------------------


def test_assess_takes_the_worst_cause_and_lists_causes_worst_first():
    verdict = rules.assess(facts(
        completed_ytd=D("3500"), elapsed_pct=D("50"),  # 15 points behind: amber
        extra={"report_late": {"days": 20, "period": "2026-10"},  # red
               "milestone_late": {"days": 8, "name": "x"}},  # orange
    ))  # fmt: skip
    assert verdict.rag == Rag.RED
    assert [(c.rule, c.level) for c in verdict.causes] == [
        ("report_late", Rag.RED),
        ("milestone_late", Rag.ORANGE),
        ("investment_lag", Rag.AMBER),
    ]


def test_green_needs_something_to_judge():
    planned = rules.assess(facts(planned=D("10000"), completed_ytd=D("9000"), elapsed_pct=D("50")))
    assert (planned.rag, planned.causes) == (Rag.GREEN, [])
    started = rules.assess(facts(planned=D("0"), actual_start=datetime.date(2026, 3, 1)))
    assert started.rag == Rag.GREEN
    to_start = rules.assess(facts(planned=D("0"), planned_start=datetime.date(2027, 3, 1)))
    assert to_start.rag == Rag.GREEN
    nothing = rules.assess(facts(planned=D("0")))
    assert (nothing.rag, nothing.causes) == (Rag.NONE, [])


def test_severity_orders_by_level_then_number_of_causes():
    red_one = rules.assess(facts(extra={"report_late": {"days": 30, "period": "p"}}))
    orange_three = rules.assess(facts(
        completed_ytd=D("3500"), elapsed_pct=D("50"),
        extra={"milestone_late": {"days": 8, "name": "x"},
               "report_late": {"days": 2, "period": "p"}},
    ))  # fmt: skip
    red_two = rules.assess(facts(extra={"report_late": {"days": 30, "period": "p"},
                                        "milestone_late": {"days": 2, "name": "x"}}))  # fmt: skip
    green = rules.assess(facts(completed_ytd=D("10000"), elapsed_pct=D("50")))
    none = rules.assess(facts(planned=D("0")))
    assert (orange_three.rag, len(orange_three.causes)) == (Rag.ORANGE, 3)
    ordered = sorted([green, orange_three, none, red_one, red_two], key=lambda v: -v.severity)
    assert [v.rag for v in ordered] == [Rag.RED, Rag.RED, Rag.ORANGE, Rag.GREEN, Rag.NONE]
    assert ordered[0] is red_two


# --- the time-elapsed plan ----------------------------------------------------------------------


@pytest.mark.parametrize(("year", "today", "expected"), [
    (2026, "2026-01-01", "0"),
    (2026, "2026-01-31", "0"),
    (2026, "2026-02-01", "8.33"),  # January's report is due: one month of twelve
    (2026, "2026-11-23", "83.33"),
    (2026, "2026-12-31", "91.67"),
    (2025, "2026-11-23", "100"),
    (2027, "2026-11-23", "0"),
])  # fmt: skip
def test_time_elapsed_pct(year, today, expected):
    assert rules.time_elapsed_pct(year, datetime.date.fromisoformat(today)) == D(expected)


# --- how a cause reads --------------------------------------------------------------------------

CAUSES = [
    ({"rule": "investment_lag", "params": {"completion": 50.75, "elapsed": 83.33, "lag": 32.58}},
     "Investment 50.8% of plan against 83.3% of the year elapsed: 32.6 points behind"),
    ({"rule": "start_missed", "params": {"planned_start": "2026-09-10", "days": 74}},
     "Planned to start on 2026-09-10, not started (74 days)"),
    ({"rule": "milestone_late", "params": {"name": "主桥合龙", "days": 10}},
     "Milestone “主桥合龙” 10 days late"),
    ({"rule": "report_late", "params": {"period": "2026-10", "days": 18}},
     "Progress report 2026-10 18 days overdue"),
    ({"rule": "permit_overdue", "params": {"name": "施工许可证", "days": 31}},
     "Permit “施工许可证” 31 days overdue"),
    ({"rule": "finding_overdue", "params": {"name": "脚手架整改", "days": 2}},
     "Critical finding “脚手架整改” 2 days past its deadline"),
    ({"rule": "estimate_over_feasibility", "params": {"link": "estimate", "over_pct": 12.46}},
     "Budget estimate 12.5% above the feasibility estimate"),
    ({"rule": "budget_over_estimate", "params": {"link": "budget", "over_pct": 3}},
     "Construction budget 3.0% above the approved estimate"),
    ({"rule": "payment_ahead", "params": {"paid_pct": 72, "progress_pct": 50, "gap": 22}},
     "Paid 72% of contracts against 50% progress"),
]  # fmt: skip


@pytest.mark.parametrize(("cause", "text"), CAUSES, ids=[c["rule"] for c, _t in CAUSES])
def test_describe_reads_each_rule_in_english(cause, text):
    with translation.override("en"):
        assert rules.describe(cause) == text


@pytest.mark.parametrize("rule", [c["rule"] for c, _t in CAUSES])
@pytest.mark.parametrize("params", [None, {}, {"days": "many"}], ids=["none", "empty", "bad"])
def test_describe_falls_back_to_the_rules_title_without_its_numbers(rule, params):
    cause = {"rule": rule, "level": "red"} if params is None else {"rule": rule, "params": params}
    with translation.override("en"):
        text = rules.describe(cause)
    assert text and "%(" not in text and "(" not in text
    assert text != rule  # a title, not the code


def test_every_rule_a_cause_can_name_has_a_text():
    # The rules write their function's name into the cause (finding_overdue reads the fact
    # "critical_finding_overdue" but is stored as "finding_overdue").
    verdict = rules.assess(facts(
        completed_ytd=D("0"), elapsed_pct=D("50"), planned_start=datetime.date(2026, 1, 1),
        extra={"milestone_late": {"days": 20, "name": "a"}, "report_late": {"days": 2,
               "period": "p"}, "permit_overdue": {"days": 2, "name": "b"},
               "critical_finding_overdue": {"days": 2, "name": "c"},
               "payments": {"paid_pct": 90, "progress_pct": 10},
               "estimate_overrun": {"link": "estimate", "over_pct": 12.5}},
    ))  # fmt: skip
    assert len(verdict.causes) == len(rules.RULES)
    with translation.override("en"):
        for cause in verdict.causes:
            text = rules.describe(cause.as_json())
            assert text != cause.rule and "%(" not in text


def test_an_unknown_rule_reads_as_its_name():
    assert rules.describe({"rule": "future_rule", "params": {}}) == "future_rule"


# --- end to end: records, a full rollup at a frozen time, the stored colour -------------------


def colour(project) -> tuple[str, list[str]]:
    row = ProjectYear.objects.get(project=project, year=2026)
    return row.rag, [c["rule"] for c in row.causes]


@pytest.fixture
def started(orgs):
    """A project running to plan, so that only the fact under test colours it."""

    def make(code):
        p = ProjectFactory(code=code, owner=orgs["infra"], planned_start=datetime.date(2025, 3, 1),
                           actual_start=datetime.date(2025, 3, 1))  # fmt: skip
        plan(p, 2026, "1000000")
        report(p, 2026, 6, "1000000")
        return p

    return make


def test_milestone_days_are_counted_from_the_local_date(clock, started):
    # 00:30 on 23 November in Shanghai is still 22 November in UTC.
    clock.move_to(datetime.datetime(2026, 11, 23, 0, 30, tzinfo=SHANGHAI))
    due_today, six, seven, fifteen = (started(f"M-{n}") for n in range(4))
    MilestoneFactory(project=due_today, deadline=datetime.date(2026, 11, 23))
    MilestoneFactory(project=six, deadline=datetime.date(2026, 11, 17))
    MilestoneFactory(project=seven, deadline=datetime.date(2026, 11, 16))
    MilestoneFactory(project=fifteen, deadline=datetime.date(2026, 11, 8))
    services.rollup_full()  # as of today, local time
    assert colour(due_today) == (Rag.GREEN, [])
    assert colour(six) == (Rag.AMBER, ["milestone_late"])
    assert colour(seven) == (Rag.ORANGE, ["milestone_late"])
    assert colour(fifteen) == (Rag.RED, ["milestone_late"])
    assert ProjectYear.objects.get(project=seven, year=2026).causes[0]["params"]["days"] == 7


def test_a_milestone_done_late_no_longer_colours(clock, started):
    p = started("M-done")
    MilestoneFactory(project=p, deadline=datetime.date(2026, 10, 1),
                     actual_date=datetime.date(2026, 11, 1))  # fmt: skip
    services.rollup_full()
    assert colour(p) == (Rag.GREEN, [])


def test_report_late_days_end_to_end(clock, started):
    # One period each (periods are shared), with the due date the test needs.
    fourteen, fifteen, submitted = started("R-14"), started("R-15"), started("R-sub")
    report(fourteen, 2026, 10, "0", status=ReportStatus.DRAFT, due_date=datetime.date(2026, 11, 9))
    report(fifteen, 2026, 9, "0", status=ReportStatus.RETURNED,
           due_date=datetime.date(2026, 11, 8))  # fmt: skip
    # Waiting for the centre: not the company's lateness.
    report(submitted, 2026, 8, "0", status=ReportStatus.SUBMITTED,
           due_date=datetime.date(2026, 10, 1))  # fmt: skip
    services.rollup_full()
    assert colour(fourteen) == (Rag.AMBER, ["report_late"])
    assert colour(fifteen) == (Rag.RED, ["report_late"])
    assert colour(submitted) == (Rag.GREEN, [])


def test_start_missed_end_to_end_and_a_day_later(clock, orgs):
    p = ProjectFactory(owner=orgs["infra"], planned_start=datetime.date(2026, 8, 24),
                       actual_start=None)  # fmt: skip
    services.rollup_full()
    assert colour(p) == (Rag.AMBER, ["start_missed"])
    clock.shift(datetime.timedelta(days=1))  # 24 November: three months
    services.rollup_full()
    assert colour(p) == (Rag.RED, ["start_missed"])


def test_investment_lag_end_to_end(clock, orgs):
    # 23 November: 83.33% elapsed. 73.34% done is 9.99 points behind, 73.33% is 10.
    on_track = ProjectFactory(owner=orgs["infra"], actual_start=datetime.date(2025, 3, 1))
    behind = ProjectFactory(owner=orgs["infra"], actual_start=datetime.date(2025, 3, 1))
    for p, done in ((on_track, "7334"), (behind, "7333")):
        plan(p, 2026, "10000")
        report(p, 2026, 3, done)
    services.rollup_full()
    assert colour(on_track) == (Rag.GREEN, [])
    assert colour(behind) == (Rag.AMBER, ["investment_lag"])


# --- finished projects and the report grace (issue 11) -----------------------------------------


@pytest.mark.parametrize("finished", [False, True])
def test_a_finished_project_is_not_judged_on_investment_nor_start(finished):
    # Nothing done of its plan, half the year gone; its planned start long past, no start.
    idle = facts(planned=D("10000"), completed_ytd=D("0"), elapsed_pct=D("50"),
                 planned_start=datetime.date(2025, 1, 1), finished=finished)  # fmt: skip
    expected = None if finished else Rag.RED
    assert level(rules.investment_lag(idle)) == expected
    assert level(rules.start_missed(idle)) == expected
    assert rules.assess(idle).rag == (Rag.GREEN if finished else Rag.RED)


def test_a_finished_project_is_still_judged_on_its_other_facts():
    late = facts(finished=True, extra={
        "report_late": {"days": 20, "period": "2026-10"},
        "milestone_late": {"days": 3, "name": "交付使用"},
    })  # fmt: skip
    verdict = rules.assess(late)
    assert verdict.rag == Rag.RED
    assert [c.rule for c in verdict.causes] == ["report_late", "milestone_late"]


def test_the_report_grace_defaults_to_none(settings):
    assert settings.PORTAL["RAG"]["REPORT_GRACE_DAYS"] == 0


@pytest.mark.parametrize(("days", "expected"), [
    (0, None), (1, None), (3, None),  # within the grace
    (4, Rag.AMBER),  # the first day after it
    (14, Rag.AMBER), (15, Rag.RED),  # red is still counted from the due date
])  # fmt: skip
def test_report_late_boundaries_with_a_grace(limits, days, expected):
    limits(REPORT_GRACE_DAYS=3)
    cause = rules.report_late(facts(extra={"report_late": {"days": days, "period": "2026-10"}}))
    assert level(cause) == expected
    if cause:
        assert cause.params == {"days": days, "period": "2026-10"}


def test_report_grace_end_to_end(clock, started, limits):
    # 23 November: the forms were due on 20 and 19 November; a grace of three days.
    limits(REPORT_GRACE_DAYS=3)
    three, four = started("G-3"), started("G-4")
    report(three, 2026, 10, "0", status=ReportStatus.DRAFT, due_date=datetime.date(2026, 11, 20))
    report(four, 2026, 9, "0", status=ReportStatus.RETURNED,
           due_date=datetime.date(2026, 11, 19))  # fmt: skip
    services.rollup_full()
    assert colour(three) == (Rag.GREEN, [])
    assert colour(four) == (Rag.AMBER, ["report_late"])
    clock.shift(datetime.timedelta(days=1))  # 24 November: the first is late too
    services.rollup_full()
    assert colour(three) == (Rag.AMBER, ["report_late"])


@pytest.mark.parametrize("stage", ["completed", "in_operation"])
def test_a_finished_project_end_to_end(clock, orgs, stage):
    # 23 November: half its plan spent, finished in June; a running project alike is red.
    finished = ProjectFactory(owner=orgs["infra"], stage=stage,
                              planned_start=datetime.date(2025, 3, 1),
                              actual_start=datetime.date(2025, 3, 1),
                              planned_finish=datetime.date(2026, 6, 30),
                              actual_finish=datetime.date(2026, 6, 30))  # fmt: skip
    running = ProjectFactory(owner=orgs["infra"], stage="construction",
                             actual_start=datetime.date(2025, 3, 1))  # fmt: skip
    for p in (finished, running):
        plan(p, 2026, "10000")
        report(p, 2026, 3, "4000")
    services.rollup_full()
    assert colour(finished) == (Rag.GREEN, [])
    assert colour(running) == (Rag.RED, ["investment_lag"])
