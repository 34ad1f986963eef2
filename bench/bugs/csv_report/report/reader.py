import csv
import io


def read_rows(text):
    """Rows of a CSV with a header `region,product,units,unit_price` as dicts with numbers parsed."""
    rows = []
    for record in csv.DictReader(io.StringIO(text)):
        rows.append({
            "region": record["region"].strip(),
            "product": record["product"].strip(),
            "units": int(record["units"]),
            "unit_price": float(record["unit_price"]),
        })
    return rows
