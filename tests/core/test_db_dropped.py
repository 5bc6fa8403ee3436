"""The database connection dropped in the middle of a write (PostgreSQL: the server ends the session, as a
restart or a network cut does): a resident import, a re-zoning and a month close keep nothing of what they
had written, the page or the API answers 503 with Retry-After and a Chinese reason (not a 500), and the
next request works on a new connection.

The connection is ended from a second session with `pg_terminate_backend` at a chosen point inside the
service, after some of its rows were written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import psycopg
import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from gridgov.areas.models import Area, AreaChange
from gridgov.core import idcard
from gridgov.core.models import AuditEvent
from gridgov.people.models import Household, Resident
from tests.helpers import resident_row, upload, xlsx_bytes

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="ends a PostgreSQL session from another one"
    ),
    pytest.mark.django_db(transaction=True),
]


def _end_this_session() -> None:
    """End the Django connection's server session from another session (what a restart does to it)."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(autocommit=True, **params) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _dropping_on(call: int, func: Callable) -> Callable:
    """`func`, but the connection is ended just before its `call`-th call."""
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            _end_this_session()
        return func(*args, **kwargs)

    return wrapper


NAMES = "甲乙丙丁戊"


def _rows(city, n: int, *, first: int) -> list[dict[str, str]]:
    """n new residents of unit A, each in a household of their own."""
    return [
        resident_row(
            f"断线{NAMES[i]}",
            idcard.build("130102", dt.date(1980, 1, 1), first + i),
            city.unit_a.code,
            f"9{first + i}",
        )
        for i in range(n)
    ]


def _counts():
    return (
        Resident.objects.unscoped("test").count(),
        Household.objects.unscoped("test").count(),
        AuditEvent.objects.filter(action__in=["people.import_resident", "people.create_household"]).count(),
    )


def test_import_interrupted_keeps_nothing_and_says_503(city, client_for, monkeypatch):
    from gridgov.people import services

    client = client_for("community_worker")
    rows = _rows(city, 5, first=700)
    before = _counts()
    # The households are written (bulk_create), then the connection ends before the third resident's name.
    monkeypatch.setattr(services, "pinyin_pair", _dropping_on(3, services.pinyin_pair))
    response = client.post(reverse("people:import"), {"file": upload(xlsx_bytes(rows))})
    assert response.status_code == 503 and response["Retry-After"]
    assert "数据库连接中断" in response.content.decode() and "已开始的写入已撤销" in response.content.decode()
    monkeypatch.undo()
    assert _counts() == before  # a new connection: no household, no resident, no audit row of the import
    # The same file again, now that the database is back: all of it.
    response = client.post(reverse("people:import"), {"file": upload(xlsx_bytes(rows))}, follow=True)
    assert response.status_code == 200 and "新增居民 5 人" in response.content.decode()


def test_api_import_interrupted_is_a_json_503(city, api_for, monkeypatch):
    from gridgov.people import services

    rows = _rows(city, 3, first=720)
    before = _counts()
    monkeypatch.setattr(services, "pinyin_pair", _dropping_on(2, services.pinyin_pair))
    response = api_for("community_worker").post(
        reverse("resident-import-xlsx"), {"file": upload(xlsx_bytes(rows))}, format="multipart"
    )
    assert response.status_code == 503 and "数据库连接中断" in response.json()["detail"]
    monkeypatch.undo()
    assert _counts() == before


def test_rezoning_interrupted_moves_nothing(city, users, monkeypatch):
    from gridgov.areas import services

    grid, target = city.grid_b, city.communities[1]
    paths_before = dict(Area.objects.unscoped("test").values_list("pk", "path"))
    households_before = dict(Household.objects.unscoped("test").values_list("pk", "area_path"))
    # The areas' own paths are rewritten first; the connection ends before the other tables follow.
    monkeypatch.setattr(services, "_path_holders", _dropping_on(1, services._path_holders))
    with pytest.raises(OperationalError):
        services.move_area(users["street"], grid, target, reason="社区调整")
    monkeypatch.undo()
    connection.close()  # what the middleware does for a request
    assert dict(Area.objects.unscoped("test").values_list("pk", "path")) == paths_before
    assert dict(Household.objects.unscoped("test").values_list("pk", "area_path")) == households_before
    assert not AreaChange.objects.unscoped("test").exists()
    moved = services.move_area(users["street"], grid, target, reason="社区调整")  # and it works afterwards
    assert moved.path.startswith(target.path)


def test_month_close_interrupted_pays_nothing(city, users, monkeypatch):
    from gridgov.core import audit
    from gridgov.points import services as points
    from gridgov.points.models import GridScore, MonthClose, Transaction

    month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    before = (Transaction.objects.unscoped("test").count(), GridScore.objects.unscoped("test").count())
    # The grid scores, the staff points and the close itself are written; the connection ends at the audit.
    monkeypatch.setattr(audit, "record", _dropping_on(1, audit.record))
    with pytest.raises(OperationalError):
        points.close_month(users["community_secretary"], city.communities[0], month)
    monkeypatch.undo()
    connection.close()
    assert (
        Transaction.objects.unscoped("test").count(),
        GridScore.objects.unscoped("test").count(),
    ) == before
    assert not MonthClose.objects.unscoped("test").exists()
    closed = points.close_month(users["community_secretary"], city.communities[0], month)
    assert closed.grids > 0 and GridScore.objects.unscoped("test").count() > before[1]
