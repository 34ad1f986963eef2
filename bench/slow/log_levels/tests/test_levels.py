from logscan.levels import count_levels


def test_counts_levels():
    lines = ["2024-01-02 03:04:05 [INFO] up", "garbage", "2024-01-02 03:04:06 [WARN] x",
             "2024-01-02 03:04:07 [INFO] y"]
    assert count_levels(lines) == {"INFO": 2, "WARN": 1}


def test_no_lines():
    assert count_levels([]) == {}
