from markup import escape, tag, unescape


def test_plain():
    assert escape("hello") == "hello"


def test_escape():
    assert escape('a < b & "c"') == "a &lt; b &amp; &quot;c&quot;"


def test_unescape():
    assert unescape("x &gt; y") == "x > y"


def test_tag():
    assert tag("a", "T&C", href="/t?a=1&b=2") == '<a href="/t?a=1&amp;b=2">T&amp;C</a>'
