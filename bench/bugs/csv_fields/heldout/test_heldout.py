from records import parse_contacts, parse_line


def test_escaped_quote():
    assert parse_line('"say ""hi""",x') == ['say "hi"', "x"]


def test_contacts_quoted():
    text = 'name,email,city\n"Doe, John",jd@x.org,"Rome, IT"\n'
    assert parse_contacts(text) == [{"name": "Doe, John", "email": "jd@x.org", "city": "Rome, IT"}]
