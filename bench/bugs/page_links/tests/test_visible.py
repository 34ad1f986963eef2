from pages import page_count, page_items, page_links


def test_count():
    assert page_count(25, 10) == 3
    assert page_count(0, 10) == 1


def test_items():
    assert page_items(list(range(25)), 3, 10) == [20, 21, 22, 23, 24]


def test_links_middle():
    assert page_links(5, 100, 10, window=1) == [1, 4, 5, 6, 10]


def test_links_include_last():
    assert page_links(1, 30, 10) == [1, 2, 3]
