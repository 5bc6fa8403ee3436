"""Hypothesis on every import parser of the platform, end to end through its service.

`core.xlsx.read_sheet` (tests/core/test_xlsx_properties.py) and `people.validation.clean_person_row`
(tests/people/test_validation_properties.py) have properties of their own; this module sends each app's
import service — residents, party members, 双报到 records, workforce staff, the salary scale, facilities,
emergency responders, and the walking network's GeoJSON — arbitrary bytes and sheets of arbitrary rows in
that import's own columns, with values drawn from what a near-miss file holds (real ID numbers and area
codes of the test city, the labels of the app's choices, dates and numbers of every size, junk text).

Whatever comes in, the service either imports or raises `ImportRejected` (the one rejection the API and
the pages answer 400 with every bad row listed) — no other exception — and a rejection saves nothing: no
row in any table of the app, no audit row. Every listed error carries a line of the sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.core.services import ImportRejected, OmittedRows
from gridgov.core.xlsx import Column
from gridgov.emergency import services as emergency_services
from gridgov.emergency.columns import RESPONDER_COLUMNS
from gridgov.facilities import services as facilities_services
from gridgov.facilities.columns import FACILITY_COLUMNS
from gridgov.party import services as party_services
from gridgov.party.columns import DUAL_SERVICE_COLUMNS, MEMBER_COLUMNS, YES
from gridgov.people import services as people_services
from gridgov.people.columns import RESIDENT_COLUMNS
from gridgov.workforce import services as workforce_services
from gridgov.workforce.columns import RATE_COLUMNS, STAFF_COLUMNS

ACTOR = SystemActor("tests.import_fuzz")  # passes every scope and permission check: only the file is tested


@dataclass(frozen=True)
class Importer:
    name: str
    app: str  # the app whose tables must not change on a rejection
    columns: list[Column]
    run: Callable  # (upload) -> anything; raises ImportRejected


IMPORTERS = [
    Importer("residents", "people", RESIDENT_COLUMNS, lambda f: people_services.import_residents(ACTOR, f)),
    Importer("party members", "party", MEMBER_COLUMNS, lambda f: party_services.import_members(ACTOR, f)),
    Importer(
        "双报到 records",
        "party",
        DUAL_SERVICE_COLUMNS,
        lambda f: party_services.import_dual_services(ACTOR, f),
    ),
    Importer("staff", "workforce", STAFF_COLUMNS, lambda f: workforce_services.import_staff(ACTOR, f)),
    Importer(
        "salary scale",
        "workforce",
        RATE_COLUMNS,
        lambda f: workforce_services.import_salary_scale(
            ACTOR, f, name="fuzz", effective_from=dt.date(2030, 1, 1), city_share="0.5"
        ),
    ),
    Importer(
        "facilities",
        "facilities",
        FACILITY_COLUMNS,
        lambda f: facilities_services.import_facilities(ACTOR, f),
    ),
    Importer(
        "responders",
        "emergency",
        RESPONDER_COLUMNS,
        lambda f: emergency_services.import_responders(ACTOR, f),
    ),
]


def choice_labels(app: str) -> list[str]:
    """Every label and value of every choice field of the app: what gets a row past its first check."""
    found: set[str] = set()
    for model in apps.get_app_config(app).get_models():
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                found.update({str(value), str(label)})
    return sorted(found)


def row_counts(app: str) -> dict[str, int]:
    """Rows of every table of the app and of the audit log (raw SQL: the counts cross every scope)."""
    tables = [m._meta.db_table for m in apps.get_app_config(app).get_models() if m._meta.managed]
    tables.append(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - table names from the models
            counts[table] = cursor.fetchone()[0]
    return counts


def sheet_bytes(headers: list[str], body: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in body:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def values_for(city, app: str) -> st.SearchStrategy:
    near_misses = [
        *city.id_numbers.values(),
        *(area.code for area in [city.city, *city.communities, *city.grids, *city.units]),
        *choice_labels(app),
        *sorted(YES),
        "否",
        "2024-01-31",
        "2024-02-30",
        "1900-01-01",
        "9999-12-31",
        "0",
        "-1",
        "3.5",
        "1e308",
        "NaN",
        "99999999999999999999",
        "=1+1",
        "\ufeff",
    ]
    return st.one_of(
        st.sampled_from(near_misses),
        st.text(max_size=30).map(lambda s: "".join(c for c in s if c.isprintable())),
        st.integers(min_value=-(2**63), max_value=2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
        st.none(),
    )


def run_import(importer: Importer, content: bytes, data_rows: int) -> None:
    """Run the import in a savepoint rolled back afterwards; a rejection must leave every count as it was.
    Lines: 0 for the file, the header is line 1, data rows follow (an empty sheet is refused at line 2)."""
    with transaction.atomic():
        before = row_counts(importer.app)
        try:
            importer.run(io.BytesIO(content))
        except ImportRejected as exc:
            assert exc.errors or str(exc).strip(), "a rejection gives a reason"
            for error in exc.errors:
                assert isinstance(error, OmittedRows) or 0 <= error.line <= data_rows + 2, error.as_dict()
                assert str(error.reason).strip()
            assert row_counts(importer.app) == before, f"{importer.name}: a rejected import saved rows"
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.name)
def test_any_rows_import_or_are_rejected_with_nothing_saved(importer, city):
    headers = st.one_of(
        st.just([c.header for c in importer.columns]),
        st.permutations([c.header for c in importer.columns]).flatmap(
            lambda h: st.integers(0, len(h)).map(lambda n: h[:n])
        ),
    )
    cells = values_for(city, importer.app)

    @settings(max_examples=40)
    @given(header=headers, body=st.lists(st.lists(cells, max_size=len(importer.columns) + 1), max_size=6))
    def check(header, body):
        run_import(importer, sheet_bytes(header, body), len(body))

    check()


@pytest.mark.django_db
@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.name)
def test_arbitrary_bytes_are_rejected_with_nothing_saved(importer, city):
    @settings(max_examples=10)
    @given(content=st.binary(max_size=2000))
    def check(content):
        with transaction.atomic():
            before = row_counts(importer.app)
            with pytest.raises(ImportRejected):
                importer.run(io.BytesIO(content))
            assert row_counts(importer.app) == before
            transaction.set_rollback(True)

    check()


# --- the walking network (GeoJSON) ------------------------------------------------------------------------
coordinates = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, 100.5, 120.15, 30.28, 1e7, -1e7]),
    st.text(max_size=3),
    st.none(),
)
points = st.lists(coordinates, max_size=4)
geometry = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["LineString", "MultiLineString", "Point", "Polygon", "", None, 3]),
        "coordinates": st.one_of(
            st.lists(points, max_size=5), st.lists(st.lists(points, max_size=4), max_size=3), coordinates
        ),
    }
)
feature = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("Feature"), "geometry": st.one_of(geometry, st.none()), "properties": st.none()}
    ),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.integers(),
    st.none(),
)
geojson = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["FeatureCollection", "Feature", "LineString", "x"]),
            "features": st.one_of(st.lists(feature, max_size=5), st.integers(), st.none()),
        }
    ),
    geometry,
    st.lists(st.integers(), max_size=3),
    st.integers(),
    st.text(max_size=10),
)
network_files = st.one_of(
    geojson.map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=500),
    st.text(max_size=200).map(str.encode),
)


@pytest.mark.django_db
def test_any_network_file_imports_or_is_rejected_with_nothing_saved(city):
    @settings(max_examples=80)
    @given(content=network_files)
    def check(content):
        with transaction.atomic():
            before = row_counts("facilities")
            try:
                facilities_services.import_network(ACTOR, area=city.city, data=content)
            except ImportRejected as exc:
                assert all(str(e.reason).strip() for e in exc.errors) and (exc.errors or str(exc).strip())
                assert row_counts("facilities") == before, "a rejected network saved rows"
            transaction.set_rollback(True)

    check()
