from report.aggregate import revenue_by_region
from report.reader import read_rows
from report.render import render

CSV = "region,product,units,unit_price\nnorth,pen,10,1.5\nsouth,ink,2,4\nnorth,pad,1,3\n"


def test_read():
    assert read_rows(CSV)[1] == {"region": "south", "product": "ink", "units": 2, "unit_price": 4.0}


def test_revenue():
    assert revenue_by_region(read_rows(CSV)) == {"north": 18.0, "south": 8.0}


def test_render():
    assert render(CSV).splitlines()[-1] == "average           8.67"


def test_render_header_only():
    assert render("region,product,units,unit_price\n").splitlines()[-1] == "average           0.00"
