from report.aggregate import average_order, revenue_by_region
from report.reader import read_rows


def render(text):
    rows = read_rows(text)
    lines = [f"{'region':<10}{'revenue':>12}"]
    for region, total in revenue_by_region(rows).items():
        lines.append(f"{region:<10}{total:>12.2f}")
    lines.append(f"{'average':<10}{average_order(rows):>12.2f}")
    return "\n".join(lines)
