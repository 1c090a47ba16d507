"""Working-time arithmetic: presets, holidays, time zones and DST, the stored week, official holiday lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.calendar.worktime import (
    HOLIDAY_COUNTRIES,
    PRESETS,
    add_calendar_days,
    add_working_time,
    hours_from_json,
    hours_to_json,
    official_holidays,
    working_time_between,
)

TEHRAN = ZoneInfo("Asia/Tehran")
ALMATY = ZoneInfo("Asia/Almaty")
BERLIN = ZoneInfo("Europe/Berlin")
IRAN = PRESETS["iran"]
KAZAKHSTAN = PRESETS["kazakhstan"]
OFFICE = {day: [(time(9), time(17))] for day in range(5)}
HOUR = timedelta(hours=1)


def at(tz: ZoneInfo, *fields: int) -> datetime:
    """A local wall-clock time in `tz`."""
    return datetime(*fields, tzinfo=tz)


def test_iran_preset_carries_wednesday_afternoon_into_thursday_morning():
    # 2026-01-07 is a Wednesday: one hour left that day, three more on Thursday from 08:00.
    due = add_working_time(at(TEHRAN, 2026, 1, 7, 15), 4 * HOUR, IRAN, (), TEHRAN)
    assert due == at(TEHRAN, 2026, 1, 8, 11)


def test_iran_preset_ends_thursday_at_noon_and_skips_friday():
    due = add_working_time(at(TEHRAN, 2026, 1, 8, 11), 2 * HOUR, IRAN, (), TEHRAN)
    assert due == at(TEHRAN, 2026, 1, 10, 9)


def test_result_is_in_utc():
    due = add_working_time(at(TEHRAN, 2026, 1, 7, 15), 4 * HOUR, IRAN, (), TEHRAN)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 1, 8, 7, 30, tzinfo=UTC)


def test_kazakhstan_preset_skips_the_lunch_hour():
    due = add_working_time(at(ALMATY, 2026, 1, 12, 12), 2 * HOUR, KAZAKHSTAN, (), ALMATY)
    assert due == at(ALMATY, 2026, 1, 12, 15)


def test_kazakhstan_preset_carries_friday_evening_over_the_weekend():
    due = add_working_time(at(ALMATY, 2026, 1, 9, 17), 2 * HOUR, KAZAKHSTAN, (), ALMATY)
    assert due == at(ALMATY, 2026, 1, 12, 10)


def test_a_holiday_is_skipped_entirely():
    # Saturday 2026-03-21 would be the next working day in Iran.
    due = add_working_time(at(TEHRAN, 2026, 3, 19, 11), 2 * HOUR, IRAN, {date(2026, 3, 21)}, TEHRAN)
    assert due == at(TEHRAN, 2026, 3, 22, 9)


def test_holidays_are_dates_in_the_tenants_zone():
    # 2026-03-20 22:00 UTC is already Saturday the 21st, 01:30, in Tehran.
    start = datetime(2026, 3, 20, 22, tzinfo=UTC)
    due = add_working_time(start, HOUR, IRAN, {date(2026, 3, 21)}, TEHRAN)
    assert due == at(TEHRAN, 2026, 3, 22, 9)


def test_official_iran_holidays_skip_the_nowruz_week():
    days = {day for day, _ in official_holidays("IR", 2026)}
    assert date(2026, 3, 21) in days
    # One hour on Thursday the 19th; Friday is off and 21-24 March are holidays.
    due = add_working_time(at(TEHRAN, 2026, 3, 19, 11), 2 * HOUR, IRAN, days, TEHRAN)
    assert due == at(TEHRAN, 2026, 3, 25, 9)


def test_counting_starts_on_the_local_date_in_a_zone_behind_utc():
    evening = {day: [(time(18), time(23))] for day in range(7)}
    new_york = ZoneInfo("America/New_York")
    # 20:00 in New York is 01:00 UTC the next day; the evening interval is still open.
    due = add_working_time(at(new_york, 2026, 1, 12, 20), HOUR, evening, (), new_york)
    assert due == at(new_york, 2026, 1, 12, 21)


def test_start_after_hours_begins_counting_next_morning():
    due = add_working_time(at(ALMATY, 2026, 1, 12, 20), HOUR, KAZAKHSTAN, (), ALMATY)
    assert due == at(ALMATY, 2026, 1, 13, 10)


def test_start_before_hours_begins_counting_when_the_day_opens():
    due = add_working_time(at(ALMATY, 2026, 1, 12, 6), HOUR, KAZAKHSTAN, (), ALMATY)
    assert due == at(ALMATY, 2026, 1, 12, 10)


def test_work_that_fills_an_interval_ends_at_its_close():
    due = add_working_time(at(TEHRAN, 2026, 1, 8, 11), HOUR, IRAN, (), TEHRAN)
    assert due == at(TEHRAN, 2026, 1, 8, 12)


def test_zero_amount_returns_the_start_even_outside_working_time():
    start = at(TEHRAN, 2026, 1, 9, 20)
    due = add_working_time(start, timedelta(0), IRAN, (), TEHRAN)
    assert due == start
    assert due.tzinfo is UTC


@pytest.mark.parametrize("hours", [{}, {day: [] for day in range(7)}], ids=["no-days", "empty-days"])
def test_a_calendar_without_working_hours_is_refused(hours):
    with pytest.raises(ValueError, match="no working hours"):
        add_working_time(at(TEHRAN, 2026, 1, 7, 9), HOUR, hours, (), TEHRAN)


def test_a_whole_year_of_holidays_is_skipped():
    year = {date(2026, 1, 1) + timedelta(days=n) for n in range(365)}
    due = add_working_time(at(TEHRAN, 2025, 12, 31, 15), 2 * HOUR, IRAN, year, TEHRAN)
    # 2027-01-01 is a Friday.
    assert due == at(TEHRAN, 2027, 1, 2, 9)


def test_holidays_for_more_than_three_years_stop_the_scan():
    years = {date(2026, 1, 1) + timedelta(days=n) for n in range(4 * 366)}
    with pytest.raises(ValueError, match="three years"):
        add_working_time(at(TEHRAN, 2026, 1, 1, 9), HOUR, IRAN, years, TEHRAN)


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(datetime(2026, 1, 7, 9), HOUR, IRAN, (), TEHRAN)  # noqa: DTZ001


def test_negative_amount_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_time(at(TEHRAN, 2026, 1, 7, 9), -HOUR, IRAN, (), TEHRAN)


def test_berlin_weekend_across_the_spring_change_keeps_office_hours():
    # Clocks go forward on Sunday 2026-03-29: Friday is UTC+1, Monday UTC+2.
    due = add_working_time(at(BERLIN, 2026, 3, 27, 16), 2 * HOUR, OFFICE, (), BERLIN)
    assert due == at(BERLIN, 2026, 3, 30, 10)
    assert due == datetime(2026, 3, 30, 8, tzinfo=UTC)


def test_an_interval_spanning_the_spring_change_lasts_an_hour_less():
    night = {6: [(time(0), time(6))]}
    start = at(BERLIN, 2026, 3, 29, 0)
    assert add_working_time(start, 5 * HOUR, night, (), BERLIN) == at(BERLIN, 2026, 3, 29, 6)
    assert working_time_between(start, at(BERLIN, 2026, 3, 29, 12), night, (), BERLIN) == 5 * HOUR


def test_an_interval_spanning_the_autumn_change_lasts_an_hour_more():
    night = {6: [(time(0), time(6))]}
    start = at(BERLIN, 2026, 10, 25, 0)
    assert working_time_between(start, at(BERLIN, 2026, 10, 25, 12), night, (), BERLIN) == 7 * HOUR


def test_ten_calendar_days_end_at_the_last_instant_of_the_tenth_local_day():
    due = add_calendar_days(at(ALMATY, 2026, 3, 5, 10), 10, ALMATY)
    assert due == at(ALMATY, 2026, 3, 15, 23, 59, 59, 999999)
    assert due.tzinfo is UTC


def test_calendar_days_count_from_the_local_date():
    # 20:00 UTC on 5 March is already 01:00 on 6 March in Almaty.
    due = add_calendar_days(datetime(2026, 3, 5, 20, tzinfo=UTC), 10, ALMATY)
    assert due == at(ALMATY, 2026, 3, 16, 23, 59, 59, 999999)


def test_working_time_between_excludes_lunch():
    between = working_time_between(at(ALMATY, 2026, 1, 12, 9), at(ALMATY, 2026, 1, 12, 15), KAZAKHSTAN, (), ALMATY)
    assert between == 5 * HOUR


def test_working_time_between_is_negative_when_the_end_is_earlier():
    between = working_time_between(at(ALMATY, 2026, 1, 12, 15), at(ALMATY, 2026, 1, 12, 9), KAZAKHSTAN, (), ALMATY)
    assert between == -5 * HOUR


def test_working_time_between_counts_nothing_over_the_weekend():
    between = working_time_between(at(ALMATY, 2026, 1, 9, 17), at(ALMATY, 2026, 1, 12, 10), KAZAKHSTAN, (), ALMATY)
    assert between == 2 * HOUR


def test_working_time_between_skips_holidays():
    monday = {date(2026, 1, 12)}
    between = working_time_between(at(ALMATY, 2026, 1, 9, 17), at(ALMATY, 2026, 1, 13, 10), KAZAKHSTAN, monday, ALMATY)
    assert between == 2 * HOUR


@pytest.mark.parametrize(
    "start",
    [at(TEHRAN, 2026, 1, 7, 15), at(TEHRAN, 2026, 1, 8, 11, 20), at(TEHRAN, 2026, 3, 17, 8), at(TEHRAN, 2026, 1, 9, 3)],
    ids=["wednesday-afternoon", "thursday-late-morning", "before-nowruz", "friday-night"],
)
@pytest.mark.parametrize("minutes", [0, 1, 45, 60, 240, 480, 2400, 6000])
def test_working_time_between_undoes_add_working_time(start, minutes):
    days = {day for day, _ in official_holidays("IR", 2026)}
    amount = timedelta(minutes=minutes)
    due = add_working_time(start, amount, IRAN, days, TEHRAN)
    assert working_time_between(start, due, IRAN, days, TEHRAN) == amount


def test_presets_are_stored_as_weekday_keyed_hh_mm_pairs():
    stored = hours_to_json(KAZAKHSTAN)
    assert stored["0"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert set(stored) == {"0", "1", "2", "3", "4"}


def test_iran_preset_works_a_half_thursday_and_rests_on_friday():
    stored = hours_to_json(IRAN)
    assert stored["3"] == [["08:00", "12:00"]]
    assert "4" not in stored
    assert set(stored) == {"0", "1", "2", "3", "5", "6"}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_survive_a_round_trip_through_json(name):
    assert hours_from_json(hours_to_json(PRESETS[name])) == PRESETS[name]


def test_hours_from_json_sorts_intervals():
    hours = hours_from_json({"0": [["14:00", "18:00"], ["09:00", "13:00"]]})
    assert hours == {0: [(time(9), time(13)), (time(14), time(18))]}


def test_hours_from_json_accepts_back_to_back_intervals():
    hours = hours_from_json({"1": [["09:00", "13:00"], ["13:00", "18:00"]]})
    assert hours[1] == [(time(9), time(13)), (time(13), time(18))]


def test_hours_from_json_rejects_overlapping_intervals():
    with pytest.raises(ValueError, match="overlaps"):
        hours_from_json({"0": [["09:00", "13:00"], ["12:00", "18:00"]]})


@pytest.mark.parametrize("bad", ["8:00", "25:00", "09:60", "nine", "09:00:00", 900, None])
def test_hours_from_json_rejects_a_bad_time(bad):
    with pytest.raises(ValueError, match="HH:MM"):
        hours_from_json({"0": [[bad, "17:00"]]})


@pytest.mark.parametrize("end", ["09:00", "08:00"], ids=["equal", "earlier"])
def test_hours_from_json_rejects_an_interval_that_does_not_end_after_it_starts(end):
    with pytest.raises(ValueError, match="must end after it starts"):
        hours_from_json({"0": [["09:00", end]]})


@pytest.mark.parametrize("key", ["7", "-1", "01", "monday"])
def test_hours_from_json_rejects_a_weekday_out_of_range(key):
    with pytest.raises(ValueError, match="out of range"):
        hours_from_json({key: [["09:00", "17:00"]]})


@pytest.mark.parametrize(
    "data", [[], {"0": "09:00-17:00"}, {"0": [["09:00"]]}], ids=["not-an-object", "not-a-list", "not-a-pair"]
)
def test_hours_from_json_rejects_a_malformed_shape(data):
    with pytest.raises(ValueError, match=r"object|list|pair"):
        hours_from_json(data)


def test_kazakhstan_holidays_in_kazakh_include_nauryz():
    assert (date(2026, 3, 22), "Наурыз мейрамы") in official_holidays("KZ", 2026, "kk")


def test_iran_holidays_in_persian_name_nowruz():
    names = dict(official_holidays("IR", 2026, "fa"))
    assert "نوروز" in names[date(2026, 3, 21)]


def test_kazakhstan_in_russian_has_russian_names_and_iran_falls_back_to_english():
    assert (date(2026, 3, 22), "Наурыз мейрамы") in official_holidays("KZ", 2026, "ru")
    assert "Nowruz" in dict(official_holidays("IR", 2026, "ru"))[date(2026, 3, 21)]


def test_a_language_the_country_lacks_falls_back_to_english():
    assert (date(2026, 3, 22), "Nowruz Holiday") in official_holidays("KZ", 2026, "fa")


def test_no_language_gives_the_countrys_own_whatever_the_environment(monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en_US")
    assert "نوروز" in dict(official_holidays("IR", 2026))[date(2026, 3, 21)]


@pytest.mark.parametrize("country", HOLIDAY_COUNTRIES)
def test_official_holidays_are_sorted_by_date_within_the_year(country):
    days = [day for day, _ in official_holidays(country, 2026, "en")]
    assert days == sorted(days)
    assert days
    assert {day.year for day in days} == {2026}


def test_unknown_country_is_refused():
    with pytest.raises(ValueError, match="no official holidays"):
        official_holidays("DE", 2026)
