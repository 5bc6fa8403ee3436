"""The data hub's API: generic scope tests for batches, runs and findings; the push endpoint per source
(department token or login): idempotent batch ids, 409 on a replayed id with other content, 403 for a
source of another department, 400 with every bad row."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.datahub import services
from gridgov.datahub.models import Batch, BatchStatus, CaDeath, Department, Finding, Run
from gridgov.datahub.services import runs

from ..base import Call, DetailAPITests, EndpointMatrixTests, ListAPITests
from .exchange_helpers import bad_checksum, csv_bytes, death_rows, id_number

SYSTEM = SystemActor("tests.datahub")
pytestmark = pytest.mark.django_db
FINDING_VIEWERS = (
    "city_admin",
    "district",
    "street",
    "community_secretary",
    "community_worker",
    "grid_worker",
)


def _findings(city):
    run = runs.create_run(SYSTEM, rules=["deceased_allowance"])
    units = [*city.units, city.other_city[-1]]
    rows = [
        {
            "rule": "deceased_allowance",
            "area_path": u.path,
            "subject_key": f"pid:{i}",
            "fingerprint": str(i),
            "records": [],
            "evidence": {},
        }
        for i, u in enumerate(units)
    ]
    services.save_findings(run, rows)
    return {f.area_path: f for f in Finding.objects.unscoped("test").all()}


class FindingScope:
    model = Finding
    basename = "datahub-finding"
    allowed_roles = FINDING_VIEWERS
    denied_roles = ("property", "resident")

    @pytest.fixture(autouse=True)
    def _rows(self, city):
        _findings(city)

    def in_scope(self, city, user):
        rows = Finding.objects.unscoped("test").order_by("area_path")
        return next(f for f in rows if f.area_path.startswith(user.area.path))

    def out_of_scope(self, city, user):
        return Finding.objects.unscoped("test").get(area_path=city.unit_outside(user).path)


class TestFindingList(FindingScope, ListAPITests):
    pass


class TestFindingDetail(FindingScope, DetailAPITests):
    pass


def _batch(city, *, other=False):
    source_code = "ca_death"
    from gridgov.datahub.models import Source

    path = city.other_city[0].path if other else city.city.path
    return Batch.objects.create(
        source=Source.objects.get(code=source_code),
        batch_id=f"t-{path}",
        sha256="0" * 64,
        status=BatchStatus.ACCEPTED,
        version=None,
        channel="upload",
        filename="x.csv",
        area_path=path,
    )


class BatchScope:
    model = Batch
    basename = "datahub-batch"
    allowed_roles = ("city_admin",)
    denied_roles = ("district", "street", "community_secretary", "grid_worker", "property", "resident")

    @pytest.fixture(autouse=True)
    def _rows(self, city):
        _batch(city)
        _batch(city, other=True)

    def in_scope(self, city, user):
        return Batch.objects.unscoped("test").get(area_path=city.city.path)

    def out_of_scope(self, city, user):
        return Batch.objects.unscoped("test").get(area_path=city.other_city[0].path)


class TestBatchList(BatchScope, ListAPITests):
    pass


class TestBatchDetail(BatchScope, DetailAPITests):
    pass


class RunScope:
    model = Run
    basename = "datahub-run"
    allowed_roles = ("city_admin",)
    denied_roles = ("grid_worker", "property", "resident")

    @pytest.fixture(autouse=True)
    def _rows(self, city):
        runs.create_run(SYSTEM)
        Run.objects.create(area_path=city.other_city[0].path)

    def in_scope(self, city, user):
        return Run.objects.unscoped("test").get(area_path=city.city.path)

    def out_of_scope(self, city, user):
        return Run.objects.unscoped("test").get(area_path=city.other_city[0].path)


class TestRunList(RunScope, ListAPITests):
    pass


class TestRunDetail(RunScope, DetailAPITests):
    pass


class TestCollectionCalls(EndpointMatrixTests):
    calls = {
        # no file: the import-rejection answer, nothing stored
        "datahub-batch-push": Call(
            perms=("datahub.push_batch",),
            method="post",
            multipart=True,
            passed=400,
            args=lambda test, city: ["ca_death"],
        ),
        "datahub-run-start": Call(
            perms=("datahub.start_run",),
            method="post",
            passed=202,
            audited=True,
            data=lambda test, city: {"rules": ["deceased_allowance"]},
        ),
    }


# --- the push endpoint with department tokens ------------------------------------------------------------
def _token(code="civil_affairs"):
    _t, secret = services.issue_token(SYSTEM, Department.objects.get(code=code), label="接口测试")
    return secret


def _push(secret, content, batch_id="", source="ca_death"):
    client = APIClient()
    body = {"file": SimpleUploadedFile("deaths.csv", content, content_type="text/csv")}
    if batch_id:
        body["batch_id"] = batch_id
    return client.post(
        reverse("datahub-batch-push", args=[source]),
        body,
        format="multipart",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_token_push_is_idempotent_and_a_replay_with_other_content_is_409(city):
    secret = _token()
    headers, rows = death_rows(city, [("王一", id_number(1)), ("王二", id_number(2))])
    first = _push(secret, csv_bytes(headers, rows, "gbk"), "2024-05")
    assert first.status_code == 201, first.content
    assert first.json()["version"] == 1 and first.json()["encoding"] == "gbk"
    again = _push(secret, csv_bytes(headers, rows, "gbk"), "2024-05")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    state = (
        Batch.objects.unscoped("test").count(),
        CaDeath.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    )
    rows[0][0] = "王三"
    conflict = _push(secret, csv_bytes(headers, rows, "gbk"), "2024-05")
    assert conflict.status_code == 409 and "批次号" in conflict.json()["detail"]
    assert (
        Batch.objects.unscoped("test").count(),
        CaDeath.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    ) == state
    batch = Batch.objects.unscoped("test").get(pk=first.json()["id"])
    assert batch.token is not None and batch.uploaded_by is None and batch.channel == "api"


def test_token_of_another_department_is_403_and_stores_nothing(city):
    secret = _token("public_security")
    headers, rows = death_rows(city, [("王一", id_number(1))])
    response = _push(secret, csv_bytes(headers, rows), "p1")
    assert response.status_code == 403
    assert not Batch.objects.unscoped("test").exists()


def test_bad_rows_are_a_400_listing_every_row(city):
    secret = _token()
    headers, rows = death_rows(city, [("王一", id_number(1)), ("王二", bad_checksum(id_number(2)))])
    response = _push(secret, csv_bytes(headers, rows), "bad-1")
    assert response.status_code == 400
    body = response.json()
    assert [e["line"] for e in body["errors"]] == [3] and "未导入任何数据" in body["detail"]
    assert Batch.objects.unscoped("test").get(pk=body["batch"]).status == BatchStatus.REJECTED
    assert not CaDeath.objects.unscoped("test").exists()


def test_revoked_or_wrong_token_is_401(city):
    secret = _token()
    from gridgov.datahub.models import DepartmentToken

    services.revoke_token(SYSTEM, DepartmentToken.objects.get())
    headers, rows = death_rows(city, [("王一", id_number(1))])
    assert _push(secret, csv_bytes(headers, rows)).status_code == 401
    assert _push("dh_" + "x" * 40, csv_bytes(headers, rows)).status_code == 401
    assert not Batch.objects.unscoped("test").exists()


def test_only_the_hash_of_a_token_is_stored(city):
    secret = _token()
    from gridgov.datahub.models import DepartmentToken

    token = DepartmentToken.objects.get()
    assert secret not in (
        token.token_hash,
        token.prefix,
    ) and token.token_hash == services.exchange.hash_token(secret)
    assert secret not in repr(list(AuditEvent.objects.values_list("after", flat=True)))


def test_token_reads_nothing(city):
    secret = _token()
    client = APIClient()
    response = client.get(reverse("datahub-batch-list"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403


@pytest.mark.parametrize("source", ["nosuch", "%3C%13x-%C2%A4", "CA_DEATH"])
def test_push_to_an_unknown_source_is_the_apis_json_404(city, api_for, source):
    response = api_for("city_admin").post(f"/api/datahub/batches/push/{source}/", {"batch_id": "b1"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert not Batch.objects.unscoped("test").exists()
