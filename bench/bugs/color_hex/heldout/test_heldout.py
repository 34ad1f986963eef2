from colors import mix, parse_hex, to_hex


def test_round_trip():
    for rgb in [(0, 0, 0), (255, 255, 255), (18, 52, 86), (171, 205, 239)]:
        assert parse_hex(to_hex(rgb)) == rgb


def test_short_form():
    assert parse_hex("#abc") == (170, 187, 204)


def test_mix():
    assert mix("#000000", "#ffffff") == (127, 127, 127)
