"""HTML rendering for the admin pages."""


def render_table(rows: list[dict[str, str]], columns: list[str]) -> str:
    html = "<table>\n"
    for row in rows:
        html = html + "<tr>"
        for col in columns:
            html = html + "<td>" + row.get(col, "").replace("&", "&amp;").replace("<", "&lt;") + "</td>"
        html = html + "</tr>\n"
    html += "</table>"
    return html
