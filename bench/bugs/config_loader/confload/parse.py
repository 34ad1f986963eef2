def parse_lines(text):
    """{key: raw string} from `key = value` lines; blank lines and # comments are skipped."""
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"line {number}: expected key = value")
        key, _, value = line.partition("=")
        values[key.strip().lower()] = value.strip()
    return values
