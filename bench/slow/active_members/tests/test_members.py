from roster.members import active_names


def test_keeps_roster_order():
    assert active_names([("Ann", True), ("Bo", False), ("Cy", True)]) == ["Ann", "Cy"]


def test_nobody_active():
    assert active_names([("Ann", False)]) == []
    assert active_names([]) == []
