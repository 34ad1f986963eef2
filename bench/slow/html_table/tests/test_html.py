from markup.html import render_table


def test_escapes_and_fills_missing():
    html = render_table([{"a": "x<y"}], ["a", "b"])
    assert html == "<table>\n<tr><td>x&lt;y</td><td></td></tr>\n</table>"


def test_no_rows():
    assert render_table([], ["a"]) == "<table>\n</table>"
