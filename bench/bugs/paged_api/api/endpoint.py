from api.pager import has_next, offset_for


def list_page(store, page=1, per_page=10):
    items = store.fetch(offset_for(page, per_page), per_page)
    total = store.count()
    return {
        "page": page,
        "items": [r["id"] for r in items],
        "next": page + 1 if has_next(page, per_page, total) else None,
    }
