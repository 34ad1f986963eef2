"""Parsing `key: value` headers (HTTP-like) into a case-insensitive dict."""


def parse_headers(text):
    headers = {}
    for line in text.splitlines():
        if not line.strip():
            break  # a blank line ends the header block
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"malformed header line {line!r}")
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def content_length(text):
    return int(parse_headers(text).get("content-length", 0))
