import pytest

from api.endpoint import list_page
from api.store import Store

STORE = Store([{"id": i} for i in range(1, 26)])


def test_bad_page():
    with pytest.raises(ValueError):
        list_page(STORE, page=0)


def test_store_fetch():
    assert [r["id"] for r in STORE.fetch(0, 2)] == [1, 2]


def test_first_page():
    assert list_page(STORE, 1) == {"page": 1, "items": list(range(1, 11)), "next": 2}


def test_last_page():
    assert list_page(STORE, 3) == {"page": 3, "items": list(range(21, 26)), "next": None}
