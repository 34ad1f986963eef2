def offset_for(page, per_page):
    if page < 1:
        raise ValueError("pages start at 1")
    return page * per_page


def has_next(page, per_page, total):
    return (page + 1) * per_page < total
