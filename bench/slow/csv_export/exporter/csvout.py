"""CSV export without the csv module (quotes doubled, every cell quoted)."""


def to_csv(header: list[str], records: list[list[str]]) -> str:
    out = ",".join(header) + "\n"
    for record in records:
        line = ""
        for i, cell in enumerate(record):
            if i:
                line += ","
            line += '"' + cell.replace('"', '""') + '"'
        out = out + line + "\n"
    return out
