import html

import pytest

from markup import escape, unescape


@pytest.mark.parametrize("text", ["<&>", "&amp;", '"q" & <b>', "&lt;", ""])
def test_round_trip(text):
    assert unescape(escape(text)) == text


def test_matches_stdlib():
    text = 'if a < b && c > "d"'
    assert escape(text) == html.escape(text, quote=False).replace('"', "&quot;")
