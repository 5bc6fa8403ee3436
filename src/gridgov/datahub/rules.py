"""The deterministic collision rules (碰撞比对规则), each defined once: code, Chinese name, description,
severity, the sources it reads and one DuckDB query over the extract tables (datahub.extracts).

Every query joins persons on the blind index (`pid`), never on an ID number (the extracts hold none), and
returns one row per finding with four columns:

- `subject_key` — the stable identity of what the finding is about: `pid:<blind index>` for a person,
  `household:<unit code>/<room>` for a household address;
- `areas` — candidate area paths, the most specific first; the engine keeps the first one the area tree
  knows. With `area_mode = "registry"` the engine puts the subject person's unit in the registry first (one
  lookup for all findings, rather than a scan of the residents per rule). With `area_mode = "common"` they
  are every area involved and the engine takes their deepest common ancestor (one ID in two communities is
  the street's or district's to settle);
- `records` — `[{table, key}]`, the rows on both sides (the engine fingerprints their content);
- `evidence` — a JSON object summarising the hit without identifying anyone (counts, dates, codes of
  areas and categories).

Two variables are set on the connection by the engine: `as_of` (the extracts' reference date: open
leases, ages, deaths already registered) and `born_by_80` (the latest birth date of someone 80 or older
on `as_of`).

"Population register" (人口登记) in these rules means: an active resident of the registry, a person with a
normal status in the public-security household register, or a person in the floating-population register.
`sources` lists every source a query reads; those in `required` must have a current batch or the rule is
skipped (their absence would turn every row of the other side into a finding); the others count as empty
when they have none.
"""

# The queries are assembled from this module's own constant fragments, never from input:
# ruff: noqa: S608
from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

HIGH, MEDIUM, LOW = "high", "medium", "low"

# Reused fragments, inlined so that every rule stays one self-contained query. The large tables are first
# narrowed to the persons of the small side (`pid IN (SELECT pid FROM …)`: a hash of a few thousand keys
# probed by the scan) before the anti-join, rather than hashing the whole population in every rule.
_OPEN_LEASE = "start_date <= getvariable('as_of') AND end_date >= getvariable('as_of')"
_DEATHS = """
    SELECT pid, min(death_date) AS death_date, min(community) AS community,
           list({'table': 'src_ca_death', 'key': key} ORDER BY key) AS recs
    FROM src_ca_death
    WHERE pid IS NOT NULL AND death_date <= getvariable('as_of')
    GROUP BY pid"""


def _registered_among(cte: str) -> str:
    """The persons of `cte` found in the population register (one row per register entry)."""
    return f"""
    SELECT pid FROM residents WHERE is_active AND pid IN (SELECT pid FROM {cte})
    UNION ALL SELECT pid FROM src_ps_household WHERE status = 'normal' AND pid IN (SELECT pid FROM {cte})
    UNION ALL SELECT pid FROM src_ps_floating WHERE pid IN (SELECT pid FROM {cte})"""


def _registry_area(cte: str) -> str:
    """The registry's unit of the persons of `cte`, active or not (their last known place)."""
    return f"SELECT pid, key, area_path, is_active FROM residents WHERE pid IN (SELECT pid FROM {cte})"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str | Promise
    description: str | Promise
    severity: str
    sources: tuple[str, ...]  # every source code the query reads
    required: tuple[str, ...]  # those that must have a current batch, or the rule is skipped
    registry: tuple[str, ...]  # registry tables read
    sql: str
    # where the finding goes: "first" known candidate; "registry": the subject person's unit in the registry
    # (active or last known; looked up once for all findings), then the candidates; "common": the deepest
    # ancestor shared by all candidates
    area_mode: str = "first"


RULES: tuple[Rule, ...] = (
    Rule(
        code="housing_not_in_population",
        name=_("租住人员未纳入人口登记"),
        description=_(
            "房屋租赁登记中租期内的承租人,既不是登记在册的居民,也不在公安户籍人口(正常状态)或流动人口登记中。"
        ),
        severity=MEDIUM,
        sources=("housing_rental", "ps_household", "ps_floating"),
        required=("housing_rental", "ps_household", "ps_floating"),
        registry=("residents",),
        sql=f"""
WITH leases AS (SELECT * FROM src_housing_rental WHERE pid IS NOT NULL AND {_OPEN_LEASE}),
registered AS ({_registered_among("leases")})
SELECT 'pid:' || l.pid AS subject_key,
       list(DISTINCT l.community ORDER BY l.community) AS areas,
       list({{'table': 'src_housing_rental', 'key': l.key}} ORDER BY l.key) AS records,
       to_json({{'leases': count(*), 'lease_end': max(l.end_date)}}) AS evidence
FROM leases l ANTI JOIN registered p ON p.pid = l.pid
GROUP BY l.pid""",
    ),
    Rule(
        code="floating_without_housing",
        name=_("流动人口无房屋登记"),
        description=_(
            "流动人口登记中的人员,既没有租期内的房屋租赁登记(承租人),也没有房产登记(产权人):"
            "登记的居住地没有房屋依据(以房管人的反向比对)。"
        ),
        severity=LOW,
        sources=("ps_floating", "housing_rental", "housing_property"),
        required=("ps_floating", "housing_rental", "housing_property"),
        registry=(),
        sql=f"""
WITH floating AS (SELECT * FROM src_ps_floating WHERE pid IS NOT NULL),
housed AS (
    SELECT pid FROM src_housing_rental WHERE {_OPEN_LEASE} AND pid IN (SELECT pid FROM floating)
    UNION ALL SELECT pid FROM src_housing_property WHERE pid IN (SELECT pid FROM floating))
SELECT 'pid:' || f.pid AS subject_key,
       list(DISTINCT f.community ORDER BY f.community) AS areas,
       list({{'table': 'src_ps_floating', 'key': f.key}} ORDER BY f.key) AS records,
       to_json({{'registrations': count(*), 'registered_on': max(f.registered_on)}}) AS evidence
FROM floating f ANTI JOIN housed h ON h.pid = f.pid
GROUP BY f.pid""",
    ),
    Rule(
        code="vehicle_owner_deceased",
        name=_("已故人员名下车辆未注销"),
        description=_("死亡登记中的人员名下仍有状态正常(未注销)的机动车。"),
        severity=MEDIUM,
        sources=("vehicle", "ca_death"),
        required=("vehicle", "ca_death"),
        registry=("residents",),
        sql=f"""
WITH deaths AS ({_DEATHS}),
owned AS (
    SELECT pid, count(*) AS n, max(registered_on) AS latest,
           list({{'table': 'src_vehicle', 'key': key}} ORDER BY key) AS recs
    FROM src_vehicle
    WHERE status = 'normal' AND pid IN (SELECT pid FROM deaths)
    GROUP BY pid)
SELECT 'pid:' || o.pid AS subject_key,
       [d.community] AS areas,
       list_concat(o.recs, d.recs) AS records,
       to_json({{'vehicles': o.n, 'death_date': d.death_date, 'latest_registration': o.latest}}) AS evidence
FROM owned o JOIN deaths d ON d.pid = o.pid""",
        area_mode="registry",
    ),
    Rule(
        code="vehicle_owner_unregistered",
        name=_("车主未纳入人口登记"),
        description=_(
            "状态正常的机动车,车主既不是登记在册的居民,也不在公安户籍人口(正常状态)或流动人口登记中,"
            "且没有死亡登记(已故车主由“已故人员名下车辆未注销”规则发现)。"
        ),
        severity=LOW,
        sources=("vehicle", "ps_household", "ps_floating", "ca_death"),
        required=("vehicle", "ps_household", "ps_floating"),
        registry=("residents",),
        sql=f"""
WITH cars AS (SELECT * FROM src_vehicle WHERE status = 'normal' AND pid IS NOT NULL),
known AS ({_registered_among("cars")}
    UNION ALL SELECT pid FROM src_ca_death WHERE pid IN (SELECT pid FROM cars)),
owned AS (
    SELECT c.pid, count(*) AS n, max(c.registered_on) AS latest,
           list({{'table': 'src_vehicle', 'key': c.key}} ORDER BY c.key) AS recs
    FROM cars c ANTI JOIN known k ON k.pid = c.pid
    GROUP BY c.pid)
SELECT 'pid:' || o.pid AS subject_key,
       []::VARCHAR[] AS areas,
       o.recs AS records,
       to_json({{'vehicles': o.n, 'latest_registration': o.latest}}) AS evidence
FROM owned o""",
        area_mode="registry",
    ),
    Rule(
        code="subsistence_vehicle",
        name=_("低保对象名下有车辆"),
        description=_("正在发放低保的保障对象(申请人)名下有状态正常的机动车。"),
        severity=HIGH,
        sources=("ca_subsistence", "vehicle"),
        required=("ca_subsistence", "vehicle"),
        registry=("residents",),
        sql="""
WITH paid AS (
    SELECT pid, min(community) AS community, sum(monthly_amount) AS amount,
           list({'table': 'src_ca_subsistence', 'key': key} ORDER BY key) AS recs
    FROM src_ca_subsistence WHERE status = 'paying' AND pid IS NOT NULL GROUP BY pid),
owned AS (
    SELECT pid, count(*) AS n, list(DISTINCT vehicle_type ORDER BY vehicle_type) AS types,
           list({'table': 'src_vehicle', 'key': key} ORDER BY key) AS recs
    FROM src_vehicle WHERE status = 'normal' AND pid IN (SELECT pid FROM paid) GROUP BY pid)
SELECT 'pid:' || p.pid AS subject_key,
       [p.community] AS areas,
       list_concat(p.recs, o.recs) AS records,
       to_json({'vehicles': o.n, 'vehicle_types': o.types, 'monthly_amount': p.amount}) AS evidence
FROM paid p JOIN owned o ON o.pid = p.pid""",
        area_mode="registry",
    ),
    Rule(
        code="subsistence_multi_property",
        name=_("低保对象名下多套房产"),
        description=_("正在发放低保的保障对象(申请人)名下登记有两套及以上房产。"),
        severity=HIGH,
        sources=("ca_subsistence", "housing_property"),
        required=("ca_subsistence", "housing_property"),
        registry=("residents",),
        sql="""
WITH paid AS (
    SELECT pid, min(community) AS community, sum(monthly_amount) AS amount,
           list({'table': 'src_ca_subsistence', 'key': key} ORDER BY key) AS recs
    FROM src_ca_subsistence WHERE status = 'paying' AND pid IS NOT NULL GROUP BY pid),
owned AS (
    SELECT pid, count(*) AS n, sum(floor_area) AS floor_area,
           list({'table': 'src_housing_property', 'key': key} ORDER BY key) AS recs
    FROM src_housing_property WHERE pid IN (SELECT pid FROM paid) GROUP BY pid HAVING count(*) >= 2)
SELECT 'pid:' || p.pid AS subject_key,
       [p.community] AS areas,
       list_concat(p.recs, o.recs) AS records,
       to_json({'properties': o.n, 'floor_area': round(o.floor_area, 2), 'monthly_amount': p.amount})
           AS evidence
FROM paid p JOIN owned o ON o.pid = p.pid""",
        area_mode="registry",
    ),
    Rule(
        code="deceased_allowance",
        name=_("已故人员仍在领取补贴"),
        description=_("死亡登记中的人员仍在领取低保金或残疾人补贴(发放状态为发放中)。"),
        severity=HIGH,
        sources=("ca_death", "ca_subsistence", "ca_disability"),
        required=("ca_death",),
        registry=("residents",),
        sql=f"""
WITH deaths AS ({_DEATHS}),
paying AS (
    SELECT pid, 'src_ca_subsistence' AS t, 'subsistence' AS kind, key, community
    FROM src_ca_subsistence WHERE status = 'paying' AND pid IN (SELECT pid FROM deaths)
    UNION ALL
    SELECT pid, 'src_ca_disability', 'disability', key, community
    FROM src_ca_disability
    WHERE allowance AND allowance_status = 'paying' AND pid IN (SELECT pid FROM deaths))
SELECT 'pid:' || d.pid AS subject_key,
       [any_value(d.community), min(p.community)] AS areas,
       list_concat(any_value(d.recs), list({{'table': p.t, 'key': p.key}} ORDER BY p.t, p.key)) AS records,
       to_json({{'death_date': any_value(d.death_date),
                'allowances': list(DISTINCT p.kind ORDER BY p.kind)}}) AS evidence
FROM deaths d JOIN paying p ON p.pid = d.pid
GROUP BY d.pid""",
        area_mode="registry",
    ),
    Rule(
        code="deceased_in_household",
        name=_("已故人员仍在户"),
        description=_("死亡登记中的人员仍是登记在册的居民,或在公安户籍人口中仍为正常状态(未注销)。"),
        severity=MEDIUM,
        sources=("ca_death", "ps_household"),
        required=("ca_death",),
        registry=("residents",),
        sql=f"""
WITH deaths AS ({_DEATHS}),
listed AS (
    SELECT pid, 'residents' AS t, 'registry' AS kind, key, area_path, left(area_path, 12) AS community
    FROM residents WHERE is_active AND pid IN (SELECT pid FROM deaths)
    UNION ALL
    SELECT pid, 'src_ps_household', 'ps_household', key, NULL, community
    FROM src_ps_household WHERE status = 'normal' AND pid IN (SELECT pid FROM deaths))
SELECT 'pid:' || d.pid AS subject_key,
       [max(l.area_path), min(l.community), any_value(d.community)] AS areas,
       list_concat(any_value(d.recs), list({{'table': l.t, 'key': l.key}} ORDER BY l.t, l.key)) AS records,
       to_json({{'death_date': any_value(d.death_date),
                'still_listed_in': list(DISTINCT l.kind ORDER BY l.kind)}}) AS evidence
FROM deaths d JOIN listed l ON l.pid = d.pid
GROUP BY d.pid""",
    ),
    Rule(
        code="multi_community",
        name=_("同一身份证号在两个社区登记居住"),
        description=_(
            "同一人的居住登记分属两个及以上社区:在册居民所在社区与其流动人口登记的社区不同,或两条流动人口"
            "登记分属不同社区。户籍地与居住地不同(人户分离)不算。"
        ),
        severity=MEDIUM,
        sources=("ps_floating",),
        required=("ps_floating",),
        registry=("residents",),
        area_mode="common",
        sql="""
WITH floating AS (SELECT pid, community, key FROM src_ps_floating WHERE pid IS NOT NULL),
residence AS (
    SELECT pid, left(area_path, 12) AS community, 'residents' AS t, key
    FROM residents WHERE is_active AND pid IN (SELECT pid FROM floating)
    UNION ALL
    SELECT pid, community, 'src_ps_floating', key FROM floating),
hits AS (
    SELECT * FROM residence
    WHERE pid IN (SELECT pid FROM residence GROUP BY pid HAVING min(community) <> max(community)))
SELECT 'pid:' || pid AS subject_key,
       list(DISTINCT community ORDER BY community) AS areas,
       list({'table': t, 'key': key} ORDER BY t, key) AS records,
       to_json({'communities': list(DISTINCT community ORDER BY community)}) AS evidence
FROM hits
GROUP BY pid""",
    ),
    Rule(
        code="elderly_alone_no_liaison",
        name=_("80岁以上独居老人无联系挂包人"),
        description=_("登记在册、年满80周岁、带“独居”标签的居民,其所在户在联系挂包数据中没有任何联系人。"),
        severity=HIGH,
        sources=("liaison",),
        required=("liaison",),
        registry=("residents", "resident_tags", "households"),
        sql="""
WITH elderly AS (
    SELECT r.* FROM residents r
    JOIN resident_tags t ON t.resident_key = r.key AND t.tag = 'living_alone'
    WHERE r.is_active AND r.birth_date <= getvariable('born_by_80'))
SELECT 'pid:' || r.pid AS subject_key,
       [r.area_path] AS areas,
       [{'table': 'residents', 'key': r.key}, {'table': 'households', 'key': h.key}] AS records,
       to_json({'age': date_part('year', age(getvariable('as_of')::TIMESTAMP, r.birth_date::TIMESTAMP))})
           AS evidence
FROM elderly r
JOIN households h ON h.key = r.household_key AND h.is_active
WHERE NOT EXISTS (SELECT 1 FROM src_liaison l WHERE l.unit_code = h.area_path AND l.room_no = h.number)""",
    ),
    Rule(
        code="liaison_household_gone",
        name=_("联系挂包对象户已不存在"),
        description=_("联系挂包数据中的户(单元代码+户号)在居民登记中不存在、已注销,或已没有在册居民。"),
        severity=MEDIUM,
        sources=("liaison",),
        required=("liaison",),
        registry=("households", "residents"),
        sql="""
WITH target AS (
    SELECT l.*, h.key AS household, h.is_active AS household_active
    FROM src_liaison l LEFT JOIN households h ON h.area_path = l.unit_code AND h.number = l.room_no),
occupied AS (
    SELECT DISTINCT household_key FROM residents
    WHERE is_active AND household_key IN (SELECT household FROM target))
SELECT 'household:' || t.unit_code || '/' || t.room_no AS subject_key,
       [t.unit_code] AS areas,
       list_concat(list({'table': 'src_liaison', 'key': t.key} ORDER BY t.key),
                   CASE WHEN t.household IS NULL THEN [] ELSE [{'table': 'households', 'key': t.household}] END)
           AS records,
       to_json({'reason': CASE WHEN t.household IS NULL THEN 'missing'
                               WHEN NOT t.household_active THEN 'deregistered' ELSE 'no_residents' END,
                'assignments': count(*), 'kinds': list(DISTINCT t.kind ORDER BY t.kind)}) AS evidence
FROM target t
WHERE t.household IS NULL OR NOT t.household_active
   OR t.household NOT IN (SELECT household_key FROM occupied)
GROUP BY t.unit_code, t.room_no, t.household, t.household_active""",
    ),
    Rule(
        code="staff_grid_outside_community",
        name=_("工作人员负责网格不在所属社区"),
        description=_(
            "在岗工作人员当前负责的网格(网格员配置、两委成员联网格,或工作人员名册中的负责网格)"
            "不在其所属社区之内。"
        ),
        severity=MEDIUM,
        sources=("staff",),
        required=(),
        registry=("staff", "staff_grids"),
        sql="""
WITH hits AS (
    SELECT s.pid, s.community, g.grid,
           [{'table': 'staff', 'key': s.key}, {'table': 'staff_grids', 'key': g.key}] AS recs
    FROM staff s JOIN staff_grids g ON g.staff_key = s.key
    WHERE s.is_active AND s.pid IS NOT NULL AND NOT starts_with(g.grid, s.community)
    UNION ALL
    SELECT pid, community, grid, [{'table': 'src_staff', 'key': key}]
    FROM src_staff
    WHERE pid IS NOT NULL AND grid IS NOT NULL AND NOT starts_with(grid, community))
SELECT 'pid:' || pid AS subject_key,
       list(DISTINCT community ORDER BY community) AS areas,
       list_sort(flatten(list(recs))) AS records,
       to_json({'communities': list(DISTINCT community ORDER BY community),
                'grids': list(DISTINCT grid ORDER BY grid)}) AS evidence
FROM hits
GROUP BY pid""",
    ),
    Rule(
        code="dual_report_no_residence",
        name=_("双报到党员在报到社区无居住记录"),
        description=_(
            "在册的在职党员已向某社区双报到,但在该社区既不是在册居民,也没有公安户籍(正常状态)、"
            "流动人口、租期内的租赁或房产记录。"
        ),
        severity=LOW,
        sources=("ps_household", "ps_floating", "housing_rental", "housing_property"),
        required=(),
        registry=("party_members", "residents"),
        sql=f"""
WITH members AS (
    SELECT * FROM party_members
    WHERE is_active AND in_service AND dual_community IS NOT NULL AND pid IS NOT NULL),
reg AS ({_registry_area("members")}),
lived AS (
    SELECT pid, left(area_path, 12) AS community FROM reg WHERE is_active
    UNION ALL SELECT pid, community FROM src_ps_household
    WHERE status = 'normal' AND pid IN (SELECT pid FROM members)
    UNION ALL SELECT pid, community FROM src_ps_floating WHERE pid IN (SELECT pid FROM members)
    UNION ALL SELECT pid, community FROM src_housing_rental
    WHERE {_OPEN_LEASE} AND pid IN (SELECT pid FROM members)
    UNION ALL SELECT pid, community FROM src_housing_property WHERE pid IN (SELECT pid FROM members))
SELECT 'pid:' || m.pid AS subject_key,
       [m.dual_community] AS areas,
       CASE WHEN r.key IS NULL THEN [{{'table': 'party_members', 'key': m.key}}]
            ELSE [{{'table': 'party_members', 'key': m.key}}, {{'table': 'residents', 'key': r.key}}] END
           AS records,
       to_json({{'dual_registered_on': m.dual_registered_on,
                'registry_community': CASE WHEN r.is_active THEN left(r.area_path, 12) END}}) AS evidence
FROM members m
LEFT JOIN reg r ON r.pid = m.pid
WHERE NOT EXISTS (SELECT 1 FROM lived x WHERE x.pid = m.pid AND x.community = m.dual_community)""",
    ),
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
SEVERITIES = (HIGH, MEDIUM, LOW)


def select(codes=None) -> list[Rule]:
    """The rules with these codes, in the order of RULES (all when None); ValueError names unknown codes."""
    if codes is None:
        return list(RULES)
    wanted = list(dict.fromkeys(codes))
    unknown = [c for c in wanted if c not in BY_CODE]
    if unknown:
        raise ValueError(f"unknown rule code(s): {', '.join(unknown)}")
    return [rule for rule in RULES if rule.code in wanted]


def sources_of(code: str) -> tuple[str, ...]:
    """Every source code a rule reads."""
    return BY_CODE[code].sources
