from jobs.spooler import round_robin


def test_finish_order():
    assert round_robin([("a", 3), ("b", 1), ("c", 2)], 1) == ["b", "c", "a"]


def test_no_jobs():
    assert round_robin([], 5) == []
