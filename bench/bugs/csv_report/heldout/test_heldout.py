from report.aggregate import average_order
from report.render import render


def test_average_empty():
    assert average_order([]) == 0.0


def test_render_empty_has_header_and_average():
    out = render("region,product,units,unit_price\n").splitlines()
    assert out == ["region         revenue", "average           0.00"]


def test_average_one():
    assert average_order([{"units": 3, "unit_price": 2.0}]) == 6.0
