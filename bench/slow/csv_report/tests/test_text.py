from reports.text import render_report


def test_report_lines():
    assert render_report([("pen", 2, 1.5)]) == "name,qty,total\npen,2,3.00\n"


def test_header_only():
    assert render_report([]) == "name,qty,total\n"
