"""Which persona (tests/conftest.py) may do what with the infrastructure company's records.

One place for the expectations every role-matrix test checks, allowed and refused."""

ALL = ["leader", "officer", "officer_design", "admin", "manager", "reporter", "reporter2"]
# May see the infrastructure company's project: everyone but the other subsidiary's reporter.
SEES_INFRA = {"leader", "officer", "officer_design", "admin", "manager", "reporter"}
# May change its registry entry: centre officers (any function), administrators, its manager.
CHANGERS_OF_INFRA = {"officer", "officer_design", "admin", "manager"}


def visible_codes(persona: str) -> set[str]:
    """Codes of the `infra_project` and `housing_project` fixtures that `persona` sees."""
    return {
        "manager": {"JC-2026-001"},
        "reporter": {"JC-2026-001"},
        "reporter2": {"BZ-2026-001"},
    }.get(persona, {"JC-2026-001", "BZ-2026-001"})


def expected_status(persona: str, *, ok: int = 200) -> int:
    """`ok` for a changer, 403 for someone who may see but not change, 404 for an outsider."""
    if persona in CHANGERS_OF_INFRA:
        return ok
    return 403 if persona in SEES_INFRA else 404
