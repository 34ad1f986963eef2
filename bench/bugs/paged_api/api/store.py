class Store:
    def __init__(self, records):
        self.records = sorted(records, key=lambda r: r["id"])

    def count(self):
        return len(self.records)

    def fetch(self, offset, limit):
        return self.records[offset:offset + limit]
