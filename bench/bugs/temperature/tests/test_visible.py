import pytest

from convert import c_to_f, c_to_k, describe, f_to_c


def test_c_to_f_boiling():
    assert c_to_f(100) == 212


def test_f_to_c():
    assert f_to_c(212) == 100


def test_kelvin():
    assert c_to_k(0) == 273.15
    with pytest.raises(ValueError):
        c_to_k(-300)


def test_describe_c():
    assert describe(21.456) == "21.5 C"
