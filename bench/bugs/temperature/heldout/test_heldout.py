import pytest

from convert import c_to_f, describe, f_to_c


@pytest.mark.parametrize("c", [-40, 0, 37, 100, 12.5])
def test_round_trip(c):
    assert f_to_c(c_to_f(c)) == pytest.approx(c)


def test_freezing_and_minus_forty():
    assert c_to_f(0) == 32
    assert c_to_f(-40) == -40


def test_describe_f():
    assert describe(0, "F") == "32.0 F"
