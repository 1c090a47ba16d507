"""Complainants' phone numbers and national IDs: read in any digits, stored in one form, checked."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from services.contacts import ContactError, check_national_id, format_phone, normalize_phone
from tenants.errors import Refused

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def refused_field(call, *args) -> str:
    with pytest.raises(ContactError) as caught:
        call(*args)
    assert caught.value.message  # a lazy string; rendering it needs an app context
    return caught.value.field


# --- phones -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("0912 123 4567", "IR", "+989121234567"),
        ("09121234567", "IR", "+989121234567"),
        ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "IR", "+989121234567"),
        ("٠٩١٢-١٢٣-٤٥٦٧", "IR", "+989121234567"),
        ("\u200f۰۹۱۲\u200c۱۲۳\u200c۴۵۶۷\u200f", "IR", "+989121234567"),
        ("+98 912 123 4567", "KZ", "+989121234567"),
        ("00989121234567", "IR", "+989121234567"),
        ("021 8888 8888", "IR", "+982188888888"),
        ("+7 701 123 4567", "IR", "+77011234567"),
        ("8 701 123 4567", "KZ", "+77011234567"),
        ("8 (701) 123-45-67", "kz", "+77011234567"),
        ("701 123 4567", "KZ", "+77011234567"),
    ],
)
def test_normalize_phone(typed, region, e164):
    assert normalize_phone(typed, region) == e164


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("", "IR"),
        ("   ", "IR"),
        ("12", "IR"),
        ("0912 123", "IR"),
        ("0912 123 4567 8901", "IR"),
        ("not a phone", "KZ"),
        ("+98 000 000 0000", "IR"),
        ("701 123 4567", "IR"),  # a Kazakh number without its country code, read as Iranian
    ],
)
def test_normalize_phone_refuses(typed, region):
    assert refused_field(normalize_phone, typed, region) == "phone"


def test_format_phone():
    assert format_phone("+989121234567") == "+98 912 123 4567"
    assert format_phone("+77011234567") == "+7 701 123 4567"
    assert format_phone(normalize_phone("۰۹۱۲۱۲۳۴۵۶۷", "IR")) == "+98 912 123 4567"
    assert format_phone("garbage") == "garbage"


# --- Iran's national code (کد ملی) ------------------------------------------------------------------


def ir_sum(nine: str) -> int:
    return sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11


def ir_code(nine: str) -> str:
    """A 10-digit code with its check digit, worked out here apart from the module under test."""
    total = ir_sum(nine)
    return nine + str(total if total < 2 else 11 - total)


def random_ir_codes(count: int, rng: random.Random) -> list[str]:
    return [ir_code(f"{rng.randrange(10**9):09d}") for _ in range(count)]


@pytest.mark.parametrize("code", ["0499370899", "0790419904", "1234567891", "0013542419"])
def test_valid_ir_national_ids(code):
    assert ir_code(code[:9]) == code  # the examples agree with the algorithm written out here
    assert check_national_id(code, "IR") == code


def test_ir_national_id_in_persian_digits_and_with_separators():
    assert check_national_id("۰۴۹۹۳۷۰۸۹۹", "IR") == "0499370899"
    assert check_national_id("٠٤٩٩٣٧٠٨٩٩", "ir") == "0499370899"
    assert check_national_id(" ۰۴۹-۹۳۷۰۸۹-۹ ", "IR") == "0499370899"
    assert check_national_id("\u200f049\u200c937\u00a00899\u200f", "IR") == "0499370899"


def test_random_ir_national_ids_pass():
    for code in random_ir_codes(500, random.Random(1)):
        if len(set(code)) > 1:
            assert check_national_id(code, "IR") == code


def test_every_single_digit_change_of_an_ir_national_id_is_refused():
    """The weights 10..2 are distinct and non-zero modulo 11, so any one wrong digit changes the sum.

    The one blind spot of the standard algorithm: sums 1 and 10 both give check digit 1. Codes whose
    sum is neither are fully protected, and those are the ones checked exhaustively here.
    """
    codes = [code for code in random_ir_codes(200, random.Random(2)) if ir_sum(code[:9]) not in {1, 10}]
    assert len(codes) > 100
    for code in codes:
        for position in range(10):
            for digit in "0123456789":
                if digit != code[position]:
                    wrong = code[:position] + digit + code[position + 1 :]
                    assert refused_field(check_national_id, wrong, "IR") == "national_id", (code, wrong)


def test_ir_blind_spot_follows_the_standard_algorithm():
    # Sums 10 and 1 both give check digit 1, so a code with sum 10 has single-digit twins with sum 1.
    # Both are valid codes, issued as such, so both must be accepted: no stricter rule of our own.
    rng = random.Random(3)
    found = 0
    for code in random_ir_codes(2000, rng):
        if ir_sum(code[:9]) != 10 or len(set(code)) == 1:
            continue
        for position in range(9):
            for digit in "0123456789":
                twin = code[:position] + digit + code[position + 1 :]
                if ir_sum(twin[:9]) == 1 and len(set(twin)) > 1:
                    assert check_national_id(twin, "IR") == twin
                    found += 1
    assert found


@pytest.mark.parametrize("digit", "0123456789")
def test_repeated_digit_ir_national_ids_are_refused(digit):
    assert ir_code(digit * 9) == digit * 10  # they pass the checksum...
    assert refused_field(check_national_id, digit * 10, "IR") == "national_id"  # ...but are never issued


@pytest.mark.parametrize("typed", ["", "049937089", "04993708990", "499370899", "0499 3708 99 1", "abc"])
def test_ir_national_id_wrong_length_or_not_digits(typed):
    assert refused_field(check_national_id, typed, "IR") == "national_id"


def test_ir_national_id_with_letters_is_refused():
    assert refused_field(check_national_id, "049937089O", "IR") == "national_id"
    assert refused_field(check_national_id, "0499370899x", "IR") == "national_id"


# --- Kazakhstan's individual identification number (ЖСН/ИИН) ----------------------------------------

CENTURY_DIGIT = {(1800, "m"): 1, (1800, "f"): 2, (1900, "m"): 3, (1900, "f"): 4, (2000, "m"): 5, (2000, "f"): 6}


def kz_check(eleven: str) -> int | None:
    """The IIN check digit, written out here apart from the module under test; None if there is none."""
    digits = [int(d) for d in eleven]
    total = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
    if total == 10:
        total = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], strict=True)) % 11
    return None if total == 10 else total


def kz_iin(born: date, sex: str = "f", serial: int = 1234) -> str:
    """An IIN for someone born on `born`: the next serial from `serial` that has a check digit."""
    century = born.year // 100 * 100
    while True:
        eleven = f"{born:%y%m%d}{CENTURY_DIGIT[century, sex]}{serial % 10000:04d}"
        check = kz_check(eleven)
        if check is not None:
            return eleven + str(check)
        serial += 1


def random_iins(count: int, rng: random.Random) -> list[str]:
    start = date(1900, 1, 1)
    return [
        kz_iin(start + timedelta(days=rng.randrange(45_000)), rng.choice("mf"), rng.randrange(10_000))
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("born", "sex"),
    [
        (date(1985, 7, 14), "m"),
        (date(1992, 2, 29), "f"),
        (date(2001, 12, 31), "m"),
        (date(2004, 1, 1), "f"),
        (date(1899, 6, 30), "f"),
    ],
)
def test_valid_kz_iin(born, sex):
    iin = kz_iin(born, sex)
    assert len(iin) == 12
    assert check_national_id(iin, "KZ") == iin
    assert check_national_id(iin.translate(PERSIAN), "kz") == iin
    assert check_national_id(f"{iin[:6]} {iin[6:]}".translate(ARABIC_INDIC), "KZ") == iin


def test_random_kz_iins_pass():
    for iin in random_iins(500, random.Random(4)):
        assert check_national_id(iin, "KZ") == iin


def test_kz_iin_whose_second_weighing_is_needed():
    # Serials whose first weighted sum is 10: the check digit comes from the second set of weights.
    rng = random.Random(5)
    seen = 0
    for iin in random_iins(2000, rng):
        digits = [int(d) for d in iin[:11]]
        if sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 == 10:
            assert check_national_id(iin, "KZ") == iin
            seen += 1
    assert seen


def test_kz_iin_without_any_check_digit_is_refused():
    born = date(1990, 5, 17)
    for serial in range(10_000):
        eleven = f"{born:%y%m%d}3{serial:04d}"
        if kz_check(eleven) is None:
            for last in "0123456789":
                assert refused_field(check_national_id, eleven + last, "KZ") == "national_id"
            return
    pytest.fail("no IIN without a check digit among 10,000 serials")


def test_kz_iin_bad_check_digit_is_refused():
    for iin in random_iins(100, random.Random(6)):
        for last in "0123456789":
            if last != iin[-1]:
                assert refused_field(check_national_id, iin[:-1] + last, "KZ") == "national_id"


@pytest.mark.parametrize(
    "yymmdd",
    ["851301", "850001", "850732", "850431", "850230", "930229", "000000", "991400"],
)
def test_kz_iin_bad_birth_date_is_refused(yymmdd):
    # Given a valid check digit, so that only the date is wrong.
    for serial in range(10):
        eleven = f"{yymmdd}3{serial:04d}"
        check = kz_check(eleven)
        if check is not None:
            assert refused_field(check_national_id, eleven + str(check), "KZ") == "national_id"
            return
    pytest.fail("no serial with a check digit")


def test_kz_iin_feb_29_depends_on_the_century_digit():
    # 1900 was not a leap year, 2000 was.
    for century_digit, valid in (("3", False), ("4", False), ("5", True), ("6", True)):
        for serial in range(10):
            eleven = f"000229{century_digit}{serial:04d}"
            check = kz_check(eleven)
            if check is not None:
                iin = eleven + str(check)
                if valid:
                    assert check_national_id(iin, "KZ") == iin
                else:
                    assert refused_field(check_national_id, iin, "KZ") == "national_id"
                break


@pytest.mark.parametrize("century_digit", "0789")
def test_kz_iin_century_digit_outside_1_to_6_is_refused(century_digit):
    for serial in range(10):
        eleven = f"850714{century_digit}{serial:04d}"
        check = kz_check(eleven)
        if check is not None:
            assert refused_field(check_national_id, eleven + str(check), "KZ") == "national_id"
            return
    pytest.fail("no serial with a check digit")


@pytest.mark.parametrize("typed", ["", "85071430123", "8507143012345", "0499370899", "ИИН850714301234"])
def test_kz_iin_wrong_length_or_not_digits(typed):
    assert refused_field(check_national_id, typed, "KZ") == "national_id"


def test_an_iranian_code_is_not_a_kazakh_one_and_back():
    iin = kz_iin(date(1985, 7, 14), "m")
    assert refused_field(check_national_id, "0499370899", "KZ") == "national_id"
    assert refused_field(check_national_id, iin, "IR") == "national_id"


# --- elsewhere ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "clean"),
    [("12345", "12345"), ("۱۲۳-۴۵۶ ۷۸۹", "123456789"), ("1" * 20, "1" * 20)],
)
def test_other_countries_take_5_to_20_digits(typed, clean):
    assert check_national_id(typed, "TR") == clean


@pytest.mark.parametrize("typed", ["", "1234", "1" * 21, "AB123456"])
def test_other_countries_refuse_the_rest(typed):
    assert refused_field(check_national_id, typed, "TR") == "national_id"


def test_contact_error_is_a_refusal_naming_its_field():
    with pytest.raises(Refused) as caught:
        normalize_phone("1", "IR")
    assert isinstance(caught.value, ContactError)
    assert (caught.value.field, caught.value.status) == ("phone", 422)
