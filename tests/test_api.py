"""The AutoCodeRover search API on a real indexed repo: hits, renderings, bad input."""

from __future__ import annotations

import pytest

from suture.retrieval import api
from suture.retrieval.index import SymbolIndex

from test_search import SHOP

BIG_CLASS = "class Inventory:\n    '''Stock levels per warehouse.'''\n\n" + "".join(
    f"    def count_{i}(self, sku):\n        '''Units of sku in bay {i}.'''\n        total = 0\n"
    f"        total += {i}\n        return total\n\n"
    for i in range(14)
)

FILES = {
    **SHOP,
    "shop/inventory.py": BIG_CLASS,
    **{f"plugins/plugin_{i}.py": f"def handler(event):\n    return {i}\n" for i in range(7)},
}


@pytest.fixture
def retriever(make_repo):
    return api.Retriever(SymbolIndex.build(make_repo(FILES), workers=1))


def one_sentence(text: str) -> bool:
    return "\n" not in text and text.endswith((".", "?"))


def test_search_class(retriever):
    result = api.search_class(retriever, "Cart")
    assert [(h.path, h.symbol, h.kind, h.start_line, h.end_line) for h in result.hits] == [
        ("shop/cart.py", "Cart", "class", 5, 20)
    ]
    text = result.render()
    assert text.startswith("Found 1 class named 'Cart':")
    assert " 5 | class Cart:" in text and "16 |         return Money(" in text  # a short class in full


def test_large_class_shows_signatures_not_bodies(retriever):
    hit = api.search_class(retriever, "Inventory").hits[0]
    assert hit.end_line - hit.start_line + 1 > api.CLASS_FULL_LINES
    assert "class Inventory:" in hit.code
    assert "    def count_0(self, sku)" in hit.code and "    def count_13(self, sku)" in hit.code
    assert "total += 7" not in hit.code  # bodies are left out
    assert "⋮" in hit.code
    # a method of it still comes in full
    method = api.search_method_in_class(retriever, "count_7", "Inventory").hits[0]
    assert "total += 7" in method.code


def test_not_found_suggests_a_near_name(retriever):
    result = api.search_class(retriever, "Invntory")
    assert result.hits == []
    assert result.render() == "Could not find a class named 'Invntory'. Did you mean 'Inventory'?"
    assert api.search_class(retriever, "cart").render().endswith("Did you mean 'Cart'?")
    assert api.search_method(retriever, "checkuot").render().endswith("Did you mean 'checkout'?")
    nothing = api.search_class(retriever, "Zeppelin").render()
    assert nothing == "Could not find a class named 'Zeppelin'."


def test_search_class_in_file(retriever):
    assert [h.symbol for h in api.search_class_in_file(retriever, "Money", "shop/money.py").hits] == ["Money"]
    elsewhere = api.search_class_in_file(retriever, "Money", "shop/cart.py")
    assert elsewhere.hits == []
    assert elsewhere.render() == "Could not find a class named 'Money' in shop/cart.py. It is defined in shop/money.py."
    bad = api.search_class_in_file(retriever, "Money", "shop/mony.py")
    assert bad.render() == "The file 'shop/mony.py' is not in the index. Did you mean 'shop/money.py'?"


def test_search_method_covers_functions_and_methods(retriever):
    result = api.search_method(retriever, "total")
    assert [(h.path, h.symbol, h.kind) for h in result.hits] == [
        ("shop/cart.py", "Cart.total", "method"),
        ("tests/test_cart.py", "total", "function"),
    ]
    assert result.render().startswith("Found 2 functions or methods named 'total':")
    assert [h.symbol for h in api.search_method(retriever, "Cart.total").hits] == ["Cart.total"]


def test_search_method_in_class(retriever):
    result = api.search_method_in_class(retriever, "price", "Cart.Line")
    assert [h.symbol for h in result.hits] == ["Cart.Line.price"]
    assert [h.symbol for h in api.search_method_in_class(retriever, "price", "Line").hits] == ["Cart.Line.price"]
    missing = api.search_method_in_class(retriever, "totl", "Cart")
    assert missing.render() == "Class 'Cart' has no method named 'totl'. Did you mean 'total'?"
    no_class = api.search_method_in_class(retriever, "total", "Crat")
    assert no_class.render() == "Could not find a class named 'Crat'. Did you mean 'Cart'?"


def test_search_method_in_file(retriever):
    result = api.search_method_in_file(retriever, "add_item", "shop/cart.py")
    assert [(h.symbol, h.start_line) for h in result.hits] == [("Cart.add_item", 11)]
    assert "self.items.append((sku, qty))" in result.hits[0].code
    assert api.search_method_in_file(retriever, "add_itm", "./shop/cart.py").render() == (
        "Could not find a function or method named 'add_itm' in shop/cart.py. Did you mean 'add_item'?"
    )


def test_many_hits_collapse_to_a_per_file_summary(retriever):
    result = api.search_method(retriever, "handler")
    assert len(result.hits) == 7
    text = result.render(max_hits=5)
    assert text.splitlines()[0].startswith("Found 7 functions or methods named 'handler' in 7 files; too many")
    assert "- plugins/plugin_3.py: 1 match" in text
    assert "return 3" not in text
    assert "return 3" in result.render(max_hits=10)
    code = api.search_code(retriever, "total")
    summary = code.render(max_hits=3)
    assert "- shop/inventory.py: 42 matches" in summary  # 14 methods x 3 lines
    assert "- shop/cart.py: 4 matches" in summary


def test_search_code(retriever):
    result = api.search_code(retriever, "cart.total()")
    assert [(h.path, h.symbol, h.kind, h.start_line) for h in result.hits] == [("shop/cart.py", "checkout", "code", 25)]
    assert result.render() == (
        "Found 1 place with the code 'cart.total()':\n\nshop/cart.py:25 (checkout)\n25 |     amount = cart.total()"
    )
    assert api.search_code(retriever, "no_such_thing(").render() == (
        "The code 'no_such_thing(' does not occur in any indexed file."
    )


def test_search_code_in_file(retriever):
    result = api.search_code_in_file(retriever, "Cart()", "tests/test_cart.py")
    assert [(h.path, h.start_line, h.symbol) for h in result.hits] == [("tests/test_cart.py", 6, "total")]
    absolute = api.search_code_in_file(retriever, "Cart()", str(retriever.index.root / "tests" / "test_cart.py"))
    assert absolute.hits == result.hits
    assert one_sentence(api.search_code_in_file(retriever, "Cart()", "shop/money.py").render())


def test_get_code_around_line(retriever):
    result = api.get_code_around_line(retriever, "shop/cart.py", 12, window=2)
    (hit,) = result.hits
    assert (hit.start_line, hit.end_line, hit.symbol, hit.kind) == (10, 14, "Cart.add_item", "lines")
    assert hit.code.splitlines()[2] == "12 |         self.items.append((sku, qty))"
    edge = api.get_code_around_line(retriever, "shop/cart.py", 1).hits[0]
    assert (edge.start_line, edge.end_line, edge.symbol) == (1, 11, "")


@pytest.mark.parametrize(
    ("path", "line", "message"),
    [
        ("shop/cart.py", 99, "Line 99 is outside shop/cart.py, which has 29 lines."),
        ("shop/cart.py", 0, "Line 0 is outside shop/cart.py, which has 29 lines."),
        ("shop/crt.py", 3, "The file 'shop/crt.py' is not in the index. Did you mean 'shop/cart.py'?"),
        ("/etc/passwd", 1, "The file '/etc/passwd' is not in the index."),
        ("../outside.py", 1, "The file '../outside.py' is not in the index."),
    ],
)
def test_bad_paths_and_lines_are_messages(retriever, path, line, message):
    result = api.get_code_around_line(retriever, path, line)
    assert result.hits == []
    assert result.render() == message


def test_get_definition(retriever):
    assert [(h.symbol, h.kind) for h in api.get_definition(retriever, "Money").hits] == [("Money", "class")]
    assert [h.symbol for h in api.get_definition(retriever, "Cart.Line").hits] == ["Cart.Line"]
    assert api.get_definition(retriever, "round_half_evn").render() == (
        "Could not find a definition of 'round_half_evn'. Did you mean 'round_half_even'?"
    )


def test_find_callers(retriever):
    result = api.find_callers(retriever, "total")
    assert [(h.path, h.start_line, h.symbol, h.kind) for h in result.hits] == [
        ("shop/cart.py", 25, "checkout", "call"),
        ("shop/cart.py", 29, "", "call"),
        ("tests/test_cart.py", 6, "total", "call"),
        ("tests/test_cart.py", 10, "test_total", "call"),
    ]
    assert "25 |     amount = cart.total()" in result.render()
    assert [h.symbol for h in api.find_callers(retriever, "shop.money.round_half_even").hits] == ["checkout"]
    assert api.find_callers(retriever, "parse_amount").render() == "Found no calls of 'parse_amount' in the indexed files."
    assert api.find_callers(retriever, "parse_amout").render().endswith("Did you mean 'parse_amount'?")


@pytest.mark.parametrize(
    "call",
    [
        lambda r: api.search_class(r, ""),
        lambda r: api.search_class_in_file(r, " ", "shop/cart.py"),
        lambda r: api.search_method(r, ""),
        lambda r: api.search_method_in_class(r, "", "Cart"),
        lambda r: api.search_method_in_file(r, "", "shop/cart.py"),
        lambda r: api.search_code(r, "   "),
        lambda r: api.search_code_in_file(r, "", "shop/cart.py"),
        lambda r: api.get_definition(r, ""),
        lambda r: api.find_callers(r, ""),
    ],
)
def test_empty_input_is_one_sentence(retriever, call):
    result = call(retriever)
    assert result.hits == [] and one_sentence(result.render())


def test_file_deleted_after_indexing_is_a_message(retriever):
    (retriever.index.root / "shop" / "money.py").unlink()
    result = api.get_code_around_line(retriever, "shop/money.py", 3)
    assert result.hits == [] and one_sentence(result.render())
    assert api.search_code(retriever, "def parse_amount").hits == []
    assert "Cannot read" in api.search_class(retriever, "Money").hits[0].code


def test_retriever_builds_the_ranked_search_only_when_asked(retriever):
    api.search_class(retriever, "Cart")
    assert retriever._search is None
    assert retriever.search.search("Cart")[0].symbol == "Cart"
