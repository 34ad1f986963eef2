from kv import parse_headers


def test_repeated_headers_join():
    assert parse_headers("Accept: a\naccept:  b ") == {"accept": "a, b"}


def test_spacing():
    assert parse_headers("  X-Id :7\t\n\nignored: yes") == {"x-id": "7"}


def test_colon_in_value():
    assert parse_headers("Location: http://x.org:8080/") == {"location": "http://x.org:8080/"}
