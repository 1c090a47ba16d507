"""Tracking codes: random, 13 digits with a Damm check digit, read back from whatever is typed."""

from __future__ import annotations

import itertools
import random

import pytest
from stdnum import damm

from services.tracking import BODY_DIGITS, CodeError, format_code, new_code, parse_code

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def reason(text: str) -> str:
    with pytest.raises(CodeError) as caught:
        parse_code(text)
    return caught.value.reason


def test_new_code_shape():
    for _ in range(200):
        code = new_code()
        assert len(code) == BODY_DIGITS + 1 == 13
        assert code.isascii()
        assert code.isdigit()
        assert code[0] != "0"
        assert damm.is_valid(code)
        assert code[-1] == damm.calc_check_digit(code[:-1])
        assert parse_code(code) == code


def test_new_codes_are_distinct_and_not_sequential():
    codes = [new_code() for _ in range(1000)]
    assert len(set(codes)) == len(codes)
    bodies = [int(code[:BODY_DIGITS]) for code in codes]
    # Neither counting up nor clustered: consecutive codes lie far apart (by chance a gap under
    # a thousand happens in about two runs out of a million).
    assert all(abs(b - a) > 1000 for a, b in itertools.pairwise(bodies))
    assert len({code[0] for code in codes}) == 9  # the leading digit is random too, 1-9
    assert len({code[5] for code in codes}) == 10


def test_format_code_groups_four_four_five():
    assert format_code("1234567890123") == "1234-5678-90123"
    code = new_code()
    shown = format_code(code)
    assert [len(group) for group in shown.split("-")] == [4, 4, 5]
    assert shown.replace("-", "") == code
    assert parse_code(shown) == code


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{formatted}",
        "  {formatted}\n",
        "{persian}",
        "{persian_formatted}",
        "{arabic}",
        "{spaced}",
        "\u200f{persian_formatted}\u200f",  # RLM around, as copied from right-to-left text
        "\u202b{persian}\u202c",  # a right-to-left embedding
        "\u200e{spaced_nbsp}\u200e",
        "{zwnj}",
        "{dashes}",
        "{dots}",
    ],
)
def test_parse_code_reads_what_people_type(typed):
    code = new_code()
    a, b, c = code[:4], code[4:8], code[8:]
    formatted = format_code(code)
    variants = {
        "code": code,
        "formatted": formatted,
        "persian": code.translate(PERSIAN),
        "persian_formatted": formatted.translate(PERSIAN),
        "arabic": code.translate(ARABIC_INDIC),
        "spaced": " ".join(code),
        "spaced_nbsp": f"{a}\u00a0{b}\u2009{c[:2]}\u202f{c[2:]}\u3000",
        "zwnj": f"{a}\u200c{b}\u200c{c}".translate(PERSIAN),
        "dashes": f"{a}\u2010{b}\u2011{c[0]}\u2012{c[1]}\u2013{c[2]}\u2014{c[3]}\u2212{c[4]}",
        "dots": f"{a}.{b}_{c[:2]}\u0640{c[2:]}".translate(ARABIC_INDIC),
    }
    assert parse_code(typed.format(**variants)) == code


def test_parse_code_mixed_digit_scripts():
    code = new_code()
    mixed = code[:4].translate(PERSIAN) + " - " + code[4:8].translate(ARABIC_INDIC) + " – " + code[8:]
    assert parse_code(mixed) == code


def test_every_single_digit_substitution_is_a_typo():
    for _ in range(5):
        code = new_code()
        for position in range(len(code)):
            for digit in "0123456789":
                if digit == code[position]:
                    continue
                wrong = code[:position] + digit + code[position + 1 :]
                assert reason(wrong) == "typo", (code, wrong)


def test_every_adjacent_transposition_is_a_typo():
    for _ in range(300):
        code = new_code()
        for position in range(len(code) - 1):
            first, second = code[position], code[position + 1]
            if first == second:
                continue
            swapped = code[:position] + second + first + code[position + 2 :]
            assert reason(swapped) == "typo", (code, swapped)
            assert reason(format_code(swapped).translate(PERSIAN)) == "typo"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u200f - \u200c", "empty"),
        ("123", "length"),
        ("12345678901234", "length"),
        ("۱۲۳۴-۵۶۷۸-۹۰۱۲", "length"),
        ("1234-5678-9O123", "invalid"),  # a letter O for a zero
        ("DD-1234-5678-90123", "invalid"),
        ("1234/5678/90123", "invalid"),
        ("1234+5678", "invalid"),
        ("1234²567890123", "invalid"),  # superscripts are not digits
    ],
)
def test_parse_code_rejects_with_a_reason(typed, expected):
    assert reason(typed) == expected


def test_wrong_length_is_judged_before_the_check_digit():
    code = new_code()
    assert reason(code[:-1]) == "length"
    assert reason(code + "0") == "length"
    assert reason(code[1:]) == "length"


def test_leading_zero_is_never_accepted():
    rng = random.Random(7)
    for _ in range(50):
        body = "0" + "".join(rng.choice("0123456789") for _ in range(BODY_DIGITS - 1))
        assert reason(body + damm.calc_check_digit(body)) == "typo"


def test_code_error_is_a_value_error_with_known_reasons():
    with pytest.raises(ValueError, match="length"):
        parse_code("1")
    with pytest.raises(ValueError, match="unknown reason"):
        CodeError("nonsense")


def test_round_trip():
    for _ in range(100):
        code = new_code()
        assert parse_code(format_code(code)) == code
        assert format_code(parse_code(format_code(code).translate(PERSIAN))) == format_code(code)
