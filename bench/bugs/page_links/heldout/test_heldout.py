from pages import page_count, page_links


def test_single_page():
    assert page_links(1, 5, 10) == [1]


def test_links_end():
    assert page_links(20, 200, 10) == [1, 18, 19, 20]


def test_always_first_and_last():
    for total in range(1, 120, 7):
        for current in range(1, page_count(total, 10) + 1):
            links = page_links(current, total, 10)
            assert links[0] == 1 and links[-1] == page_count(total, 10)
