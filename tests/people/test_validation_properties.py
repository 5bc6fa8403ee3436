"""Hypothesis on people's row validation: any cell texts give values or row errors on that row, never an
unhandled exception, and a row is either clean (name, card) or has at least one error."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gridgov.core import idcard
from gridgov.core.services import RowError
from gridgov.people import validation

id_like = st.one_of(
    st.text(max_size=25),
    st.text(alphabet="0123456789Xx", min_size=15, max_size=18),
    st.builds(
        lambda n: idcard.build("110105", __import__("datetime").date(1980, 1, 1), n), st.integers(0, 999)
    ),
)
cell = st.one_of(
    st.text(max_size=60), st.sampled_from(["", " ", "=1+1", "<script>", "'; drop table--", "张三"])
)
rows = st.fixed_dictionaries(
    {
        "name": cell,
        "id_number": id_like,
        "phone": st.one_of(cell, st.from_regex(r"1[3-9]\d{9}", fullmatch=True)),
    }
)


@given(line=st.integers(min_value=2, max_value=10**6), values=rows)
def test_clean_person_row_attaches_every_error_to_its_row(line, values):
    errors: list[RowError] = []
    name, card, _phone = validation.clean_person_row(line, values, errors)
    assert all(e.line == line and e.field in {"姓名", "身份证号", "手机号"} and str(e.reason) for e in errors)
    assert len({e.field for e in errors}) == len(errors)  # one error per bad cell
    if not errors:
        assert name and card is not None
        assert validation.NAME.match(name)
    if card is not None:
        assert idcard.parse(card.number).number == card.number


@given(values=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=5))
def test_clean_person_row_tolerates_missing_and_unknown_keys(values):
    errors: list[RowError] = []
    validation.clean_person_row(7, values, errors)
    assert all(e.line == 7 for e in errors)


@given(raw=st.text(max_size=80))
def test_household_number_and_phone_raise_only_service_errors(raw):
    for clean in (validation.clean_household_number, validation.clean_phone, validation.clean_name):
        try:
            clean(raw)
        except validation.ServiceError as exc:
            assert str(exc)
