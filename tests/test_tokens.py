"""Identifier-aware tokenisation shared by search documents and queries."""

import pytest

from suture.retrieval.tokens import normalize, split_identifier, tokenize


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("parse_http_header", ["parse", "http", "header"]),
        ("readLine", ["read", "line"]),
        ("HTTPServer", ["http", "server"]),
        ("getHTTPResponseCode", ["get", "http", "response", "code"]),
        ("XMLHttpRequest", ["xml", "http", "request"]),
        ("md5sum2", ["md", "5", "sum", "2"]),
        ("__init__", ["init"]),
        ("SCREAMING_CASE", ["screaming", "case"]),
        ("x", ["x"]),
    ],
)
def test_split_identifier(word, parts):
    assert split_identifier(word) == parts


def test_tokenize_keeps_whole_identifier_after_its_parts():
    assert tokenize("HTTPServer") == ["http", "server", "httpserver"]
    assert tokenize("parse_http_header") == ["parse", "http", "header", "parse_http_header"]
    assert tokenize("_private_helper") == ["private", "helper", "private_helper"]


def test_single_part_identifier_is_not_doubled():
    assert tokenize("total") == ["total"]


def test_prose_drops_stopwords_and_single_letters():
    assert tokenize("Return the sum of a and b, in cents.") == ["return", "sum", "cent"]


def test_prose_and_code_meet_through_abbreviations_and_plurals():
    # "dictionaries" in a query meets `dict` in a name; "rows" meets `row`.
    assert tokenize("read rows as dictionaries") == ["read", "row", "dict"]
    assert tokenize("DictReader") == ["dict", "reader", "dictreader"]
    assert normalize("compare") == "cmp"
    assert normalize("entries") == "entry"
    assert normalize("class") == "class"  # "ss" is not a plural
    assert normalize("status") == "status"


def test_tokenize_signature_text():
    assert tokenize("def add_item(self, sku: str, qty: int = 1) -> None") == [
        "def", "add", "item", "add_item", "self", "sku", "str", "qty", "int", "1", "none",
    ]


def test_empty_and_punctuation_only():
    assert tokenize("") == []
    assert tokenize("(), -> :: {}") == []
