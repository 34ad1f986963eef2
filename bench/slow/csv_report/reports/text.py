"""Plain-text sales reports."""


def render_report(rows: list[tuple[str, int, float]]) -> str:
    """A CSV report with a header and one line per row (total = qty * price, two decimals)."""
    report = "name,qty,total\n"
    for name, qty, price in rows:
        report = report + name + "," + str(qty) + "," + f"{qty * price:.2f}" + "\n"
    return report
