"""Property tests for resident ID-card numbers (GB 11643-1999)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gridgov.core import idcard
from gridgov.core.idcard import IDCardError

CHINESE = re.compile(r"[\u4e00-\u9fff]")
TODAY = dt.date.today()

regions = st.integers(110000, 999999).map(str)  # never starts with 0 or 10
births = st.dates(min_value=dt.date(1880, 1, 1), max_value=TODAY)
sequences = st.integers(0, 999)
valid_numbers = st.builds(idcard.build, regions, births, sequences)


def test_published_examples_are_valid():
    # The standard's own example and a second well-known one.
    assert idcard.is_valid("11010519491231002X")
    assert idcard.is_valid("440524188001010014")
    assert not idcard.is_valid("110105194912310021")


def test_check_digit_known_value():
    assert idcard.check_digit("11010519491231002") == "X"
    assert idcard.check_digit("44052418800101001") == "4"


@given(regions, births, sequences)
def test_build_always_validates(region, birth, seq):
    number = idcard.build(region, birth, seq)
    assert len(number) == 18
    card = idcard.parse(number)
    assert card.number == number
    assert card.region == region


@given(regions, births, sequences)
def test_birth_date_and_sex_are_derived(region, birth, seq):
    card = idcard.parse(idcard.build(region, birth, seq))
    assert card.birth_date == birth
    assert card.sex == ("M" if seq % 2 == 1 else "F")


@given(valid_numbers, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_substitution_is_caught(number, position, replacement):
    assume(number[position] != replacement)
    changed = number[:position] + replacement + number[position + 1 :]
    assert not idcard.is_valid(changed)
    with pytest.raises(IDCardError) as excinfo:
        idcard.parse(changed)
    assert CHINESE.search(str(excinfo.value))


def test_every_single_digit_substitution_of_one_number_is_caught():
    """Exhaustive for one number: all 17 x 9 digit changes and the 10 other check characters."""
    number = idcard.build("330106", dt.date(1975, 8, 19), 123)
    caught = 0
    for position in range(18):
        for replacement in "0123456789X":
            if replacement == number[position] or (replacement == "X" and position < 17):
                continue
            assert not idcard.is_valid(number[:position] + replacement + number[position + 1 :])
            caught += 1
    assert caught == 17 * 9 + 10


@given(valid_numbers)
def test_mask_shows_first_six_and_last_four(number):
    masked = idcard.mask(number)
    assert len(masked) == 18
    assert masked[:6] == number[:6]
    assert masked[-4:] == number[-4:]
    assert masked[6:14] == "*" * 8


@given(valid_numbers)
def test_lower_case_x_and_spaces_are_normalised(number):
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert idcard.parse(spaced).number == number


@given(st.text(alphabet="0123456789", min_size=0, max_size=30).filter(lambda s: len(s) != 18))
def test_wrong_length_is_refused_in_chinese(raw):
    with pytest.raises(IDCardError) as excinfo:
        idcard.parse(raw)
    message = str(excinfo.value)
    assert CHINESE.search(message)
    assert "18" in message


@given(valid_numbers, st.integers(0, 16), st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWYZ-#中"))
def test_letters_are_refused_in_chinese(number, position, letter):
    bad = number[:position] + letter + number[position + 1 :]
    with pytest.raises(IDCardError) as excinfo:
        idcard.parse(bad)
    assert "非法字符" in str(excinfo.value)


@pytest.mark.parametrize("date_digits", ["19990230", "20011301", "19870000", "19000229", "20230431"])
def test_impossible_birth_date_is_refused(date_digits):
    first17 = f"110105{date_digits}123"
    with pytest.raises(IDCardError) as excinfo:
        idcard.parse(first17 + idcard.check_digit(first17))
    assert str(excinfo.value) == "身份证号中的出生日期无效"


@given(regions, st.integers(1, 3000), sequences)
def test_future_birth_date_is_refused(region, days, seq):
    number = idcard.build(region, TODAY + dt.timedelta(days=days), seq)
    with pytest.raises(IDCardError) as excinfo:
        idcard.parse(number)
    assert "出生日期" in str(excinfo.value)


def test_too_old_birth_date_is_refused():
    with pytest.raises(IDCardError, match="出生日期"):
        idcard.parse(idcard.build("110105", dt.date(1879, 12, 31), 1))


@pytest.mark.parametrize("region", ["010105", "100105", "000000"])
def test_bad_region_is_refused(region):
    with pytest.raises(IDCardError, match="行政区划"):
        idcard.parse(idcard.build(region, dt.date(1990, 1, 1), 1))


def test_wrong_check_digit_names_the_right_one():
    number = idcard.build("110105", dt.date(1990, 1, 1), 1)
    wrong = "0" if number[-1] != "0" else "1"
    with pytest.raises(IDCardError) as excinfo:
        idcard.parse(number[:17] + wrong)
    assert str(excinfo.value) == f"身份证号校验位错误(应为{number[-1]})"


def test_mask_phone():
    assert idcard.mask_phone("13812345678") == "138****5678"
    assert idcard.mask_phone("123") == "***"
