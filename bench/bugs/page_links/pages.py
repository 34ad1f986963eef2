"""Page navigation for a listing: page count, slicing and the links shown."""


def page_count(total, per_page):
    return max(1, -(-total // per_page))


def page_items(items, page, per_page):
    start = (page - 1) * per_page
    return items[start:start + per_page]


def page_links(current, total, per_page, window=2):
    """Page numbers to show: the first, the last and `window` pages either side of current."""
    last = page_count(total, per_page)
    shown = []
    for n in range(1, last):
        if n == 1 or n == last or abs(n - current) <= window:
            shown.append(n)
    return shown
