"""The national approval sequence of DOMAIN.md §1: the catalogue's first rows.

Used by the data migration (a new database) and by the demo step (`seed_demo --reset` flushes
the tables). Only types whose code is missing are added: an administrator's edits stay.
Dependencies, as documented in docs/decisions/0030-permit-checklists.md: the land pre-review,
the energy review and the environmental approval need the proposal; the feasibility study needs
the proposal, the land pre-review, the energy review and the environmental approval; the land-use
planning permit the land pre-review and the feasibility study; the preliminary design the
feasibility study; the works planning permit the land-use planning permit and the preliminary
design; the drawing review the preliminary design; the tenders the drawing review; the
construction permit the works planning permit, the drawing review and the tenders; completion
the construction permit. A type a project does not need (by its size) blocks nothing.
"""

# code, name, issuer, national stage, order, typical working days, validity (months),
# applicability, depends on (codes), note
TYPES = [
    (
        "proposal",
        "项目建议书批复",
        "市发展和改革委员会",
        1,
        10,
        7,
        24,
        "proposal",
        [],
        "5–7 个工作日；批复有效期 2 年。",
    ),
    (
        "land_prereview",
        "用地预审与选址意见书",
        "市自然资源和规划局",
        1,
        20,
        20,
        36,
        "always",
        ["proposal"],
        "有效期 3 年。",
    ),
    (
        "energy_review",
        "节能审查意见",
        "市发展和改革委员会",
        1,
        30,
        15,
        None,
        "always",
        ["proposal"],
        "可研批复前取得；年综合能耗不足 1000 吨标准煤的免于审查（标为不适用并说明）。",
    ),
    (
        "eia",
        "环评批复 / 备案",
        "市生态环境局",
        1,
        40,
        40,
        None,
        "always",
        ["proposal"],
        "报告书 60 日（约 40 个工作日），报告表 30 日，登记表仅备案。",
    ),
    (
        "feasibility",
        "可行性研究报告批复",
        "市发展和改革委员会",
        1,
        50,
        20,
        None,
        "feasibility",
        ["proposal", "land_prereview", "energy_review", "eia"],
        "约 20 个工作日；须先取得项目建议书批复（如需）、用地预审、节能审查和环评。",
    ),
    (
        "land_use_planning",
        "建设用地规划许可证",
        "市自然资源和规划局",
        1,
        60,
        5,
        None,
        "always",
        ["land_prereview", "feasibility"],
        "约 5 个工作日。",
    ),
    (
        "preliminary_design",
        "初步设计及概算批复",
        "市发展和改革委员会",
        2,
        70,
        7,
        None,
        "always",
        ["feasibility"],
        "约 7 个工作日。",
    ),
    (
        "works_planning",
        "建设工程规划许可证",
        "市自然资源和规划局",
        2,
        80,
        7,
        None,
        "always",
        ["land_use_planning", "preliminary_design"],
        "约 7 个工作日。",
    ),
    (
        "drawing_review",
        "施工图审查（含消防、人防）",
        "施工图审查机构",
        3,
        90,
        15,
        None,
        "always",
        ["preliminary_design"],
        "",
    ),
    (
        "tenders",
        "施工/监理招标及质量安全监督登记",
        "市公共资源交易中心、市住房和城乡建设局",
        3,
        100,
        20,
        None,
        "always",
        ["drawing_review"],
        "",
    ),
    (
        "construction_permit",
        "施工许可证",
        "市住房和城乡建设局",
        3,
        110,
        7,
        None,
        "construction_permit",
        ["works_planning", "drawing_review", "tenders"],
        "7 日内核发；须在 3 个月内开工，可延期 2 次、每次 3 个月；投资额 30 万元以下或建筑面积 "
        "300 平方米以下的工程免办。",
    ),
    (
        "completion",
        "竣工验收（规划核实、消防、人防、备案）",
        "市住房和城乡建设局牵头联合验收",
        4,
        120,
        20,
        None,
        "always",
        ["construction_permit"],
        "",
    ),
]


def ensure(PermitType) -> int:
    """Add the types whose code is missing (with their prerequisites); returns how many."""
    made, created = {}, 0
    for code, name, issuer, stage, order, days, months, rule, _needs, note in TYPES:
        made[code], _created = PermitType.objects.get_or_create(
            code=code,
            defaults={"name": name, "issuer": issuer, "stage": stage, "order": order,
                      "typical_days": days, "validity_months": months, "applicability": rule,
                      "note": note},
        )  # fmt: skip
        created += _created
    for code, *_rest, needs, _note in TYPES:
        if needs and not made[code].depends_on.exists():
            made[code].depends_on.set([made[n] for n in needs])
    return created
