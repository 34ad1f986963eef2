from datetime import date

from dates import add_months, months_between


def test_backwards():
    assert add_months(date(2024, 1, 10), -1) == date(2023, 12, 10)
    assert add_months(date(2024, 3, 31), -13) == date(2023, 2, 28)


def test_many():
    start = date(2020, 1, 1)
    for n in range(-30, 60):
        d = add_months(start, n)
        assert months_between(start, d) == n if n >= 0 else months_between(d, start) == -n
        assert (d.year * 12 + d.month) - (2020 * 12 + 1) == n
