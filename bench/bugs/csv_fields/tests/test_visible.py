from records import emails, parse_contacts, parse_line


def test_plain():
    assert parse_line("a,b,c") == ["a", "b", "c"]


def test_empty_field():
    assert parse_line("a,,c") == ["a", "", "c"]


def test_contacts():
    text = "name,email\nann,ann@x.org\n\nbob,\n"
    assert emails(text) == ["ann@x.org"]


def test_quoted_comma():
    assert parse_line('"Smith, Jane",js@x.org') == ["Smith, Jane", "js@x.org"]
