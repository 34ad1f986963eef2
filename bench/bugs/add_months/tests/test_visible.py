from datetime import date

from dates import add_months, months_between


def test_same_year():
    assert add_months(date(2024, 1, 15), 2) == date(2024, 3, 15)


def test_clamp():
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)


def test_between():
    assert months_between(date(2024, 1, 31), date(2024, 3, 30)) == 1


def test_into_december():
    assert add_months(date(2024, 11, 5), 1) == date(2024, 12, 5)


def test_across_year():
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
