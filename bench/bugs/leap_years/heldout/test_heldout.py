import calendar

from calendar_util import day_of_year, days_in_month, is_leap


def test_against_stdlib():
    for year in range(1582, 2500):
        assert is_leap(year) == calendar.isleap(year), year


def test_feb_2000():
    assert days_in_month(2000, 2) == 29
    assert day_of_year(2000, 12, 31) == 366
