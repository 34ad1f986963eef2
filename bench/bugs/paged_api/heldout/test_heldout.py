from api.endpoint import list_page
from api.store import Store


def test_walk_all_pages():
    for total in (0, 1, 9, 10, 11, 30):
        store = Store([{"id": i} for i in range(total)])
        seen, page = [], 1
        while page is not None:
            result = list_page(store, page, per_page=10)
            seen += result["items"]
            page = result["next"]
        assert seen == list(range(total))


def test_exact_multiple_has_no_next():
    store = Store([{"id": i} for i in range(20)])
    assert list_page(store, 2)["next"] is None
