"""Building department files for the exchange tests (A's tests): CSV in any encoding, xlsx."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook

from gridgov.accounts.roles import Role
from gridgov.core import idcard
from gridgov.datahub.sources import spec

from ..factories import UserFactory

REGION = "110105"


def id_number(seq: int, birth: dt.date = dt.date(1950, 3, 4)) -> str:
    return idcard.build(REGION, birth, seq % 1000)


def bad_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:17] + last


def csv_bytes(headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8-sig":
        return text.encode("utf-8-sig")
    return text.encode(encoding)


def xlsx_bytes(headers: list[str], rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def death_rows(
    city, people: list[tuple[str, str]], date: str = "2024-01-31"
) -> tuple[list[str], list[list[str]]]:
    """ca_death rows: (name, id number) pairs, in the community of grid A."""
    headers = spec("ca_death").headers
    community = city.communities[0].path
    rows = [[name, number, date, community, f"SW{i:05d}"] for i, (name, number) in enumerate(people)]
    return headers, rows


def subsistence_rows(city, people: list[tuple[str, str]]) -> tuple[list[str], list[list[str]]]:
    headers = spec("ca_subsistence").headers
    community = city.communities[0].path
    rows = [
        [name, number, community, "东一社区1号", "2", "800.00", "2020-05-01", "发放中"]
        for name, number in people
    ]
    return headers, rows


def department_user(city, role: str = Role.DEPT_CIVIL_AFFAIRS, username: str = "") -> object:
    return UserFactory(username=username or role, role=role, area=city.city)
