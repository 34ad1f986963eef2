"""Ranked code search over a real index of a real git repo."""

from __future__ import annotations

import json

import pytest

from conftest import suture
from suture.retrieval.index import SymbolIndex
from suture.retrieval.model import RetrievalError
from suture.retrieval.search import CodeSearch, SearchHit
from suture.retrieval.testfiles import is_test_path

SHOP = {
    "shop/__init__.py": "",
    "shop/money.py": '''
        """Amounts of money."""


        class Money:
            """An amount in one currency."""

            def __init__(self, cents: int, currency: str = "EUR"):
                self.cents = cents
                self.currency = currency

            def __add__(self, other: "Money") -> "Money":
                return Money(self.cents + other.cents, self.currency)


        def round_half_even(value, places=2):
            """Round a decimal amount to the nearest even cent (banker's rounding)."""
            return round(value, places)


        def parse_amount(text: str) -> Money:
            """Read an amount such as '12.50 EUR'."""
            number, currency = text.split()
            return Money(int(float(number) * 100), currency)
        ''',
    "shop/cart.py": '''
        from shop.money import Money, round_half_even


        class Cart:
            """A customer's basket of line items."""

            def __init__(self):
                self.items = []

            def add_item(self, sku, qty=1):
                self.items.append((sku, qty))

            def total(self) -> Money:
                """Sum of all line prices after discounts."""
                return Money(sum(q for _, q in self.items))

            class Line:
                def price(self):
                    return 0


        def checkout(cart):
            """Charge the customer's card for the cart total."""
            amount = cart.total()
            return round_half_even(amount.cents)


        GRAND = Cart().total()
        ''',
    "shop/report.py": '''
        class Total:
            """A report row."""


        def TOTAL_ROWS():
            return 3
        ''',
    "shop/http.py": '''
        class HTTPServer:
            """Serves the shop's pages."""

            def serve_forever(self):
                pass


        def parseHTTPHeader(line):
            return line.split(":", 1)
        ''',
    "tests/test_cart.py": '''
        from shop.cart import Cart


        def total():
            return Cart().total()


        def test_total():
            assert total() is not None
        ''',
}


@pytest.fixture
def shop(make_repo):
    root = make_repo(SHOP)
    return SymbolIndex.build(root, workers=1)


def test_hit_is_the_json_result_object(shop):
    hit = CodeSearch(shop).search("Cart")[0]
    assert isinstance(hit, SearchHit)
    assert hit.to_dict() == {
        "path": "shop/cart.py",
        "symbol": "Cart",
        "kind": "class",
        "start_line": 5,
        "end_line": 20,
        "score": hit.score,
        "signature": "class Cart",
    }
    with pytest.raises(AttributeError):
        hit.path = "x"  # frozen


def test_exact_name_first_then_case_insensitive_then_bm25(shop):
    hits = CodeSearch(shop).search("total")
    # case-sensitive exact names: the method and the test helper function (tests last) ...
    assert [(h.symbol, h.path) for h in hits[:2]] == [("Cart.total", "shop/cart.py"), ("total", "tests/test_cart.py")]
    # ... then the same name in another case (TOTAL_ROWS is no exact match) ...
    assert hits[2].symbol == "Total"
    # ... then everything else BM25 finds ("cart total" in checkout's docstring)
    assert "checkout" in [h.symbol for h in hits[3:]]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_qualified_name_query(shop):
    search = CodeSearch(shop)
    assert search.search("Cart.total")[0].symbol == "Cart.total"
    assert search.search("Cart.Line.price")[0].symbol == "Cart.Line.price"
    assert search.search("Line.price")[0].symbol == "Cart.Line.price"  # a qualname suffix


def test_bm25_finds_a_function_by_docstring_words(shop):
    hits = CodeSearch(shop).search("banker's rounding")
    assert hits[0].symbol == "round_half_even"
    assert hits[0].kind == "function"
    assert CodeSearch(shop).search("charge the card")[0].symbol == "checkout"


def test_split_identifiers_meet_prose(shop):
    search = CodeSearch(shop)
    assert search.search("http server")[0].symbol == "HTTPServer"
    assert search.search("parse http header")[0].symbol == "parseHTTPHeader"
    assert search.search("add item")[0].symbol == "Cart.add_item"


def test_kind_filter(shop):
    search = CodeSearch(shop)
    classes = search.search("total", kind="class")
    assert classes and all(h.kind == "class" for h in classes)
    assert classes[0].symbol == "Total"
    methods = search.search("money", kind="method")
    assert methods and all(h.kind == "method" for h in methods)
    functions = search.search("amount", kind="function")
    assert {h.symbol for h in functions} >= {"parse_amount", "round_half_even"}
    assert all(h.kind == "function" for h in functions)


def test_limit(shop):
    search = CodeSearch(shop)
    assert len(search.search("money", limit=2)) == 2
    assert len(search.search("total", limit=1)) == 1


def test_code_search_is_literal_and_names_the_enclosing_symbol(shop):
    hits = CodeSearch(shop).search("Cart().total()", kind="code")
    assert [(h.path, h.symbol, h.start_line, h.kind) for h in hits] == [
        ("shop/cart.py", "", 29, "code"),  # module level
        ("tests/test_cart.py", "total", 6, "code"),
    ]
    assert hits[0].signature == "GRAND = Cart().total()"
    inner = CodeSearch(shop).search("return 0", kind="code")
    assert [(h.symbol, h.start_line) for h in inner] == [("Cart.Line.price", 20)]
    assert CodeSearch(shop).search("cart.total()", kind="code")[0].symbol == "checkout"
    assert CodeSearch(shop).search("CART.TOTAL()", kind="code") == []  # case matters


def test_code_search_spanning_lines(shop):
    hits = CodeSearch(shop).search('amount = cart.total()\n    return round_half_even', kind="code")
    assert [(h.symbol, h.start_line, h.end_line) for h in hits] == [("checkout", 25, 26)]


def test_nothing_found_is_an_empty_list(shop):
    assert CodeSearch(shop).search("zebra giraffe") == []


@pytest.mark.parametrize(("query", "kind"), [("", None), ("   ", None), ("x", "module")])
def test_bad_queries_are_one_sentence_errors(shop, query, kind):
    with pytest.raises(RetrievalError) as error:
        CodeSearch(shop).search(query, kind=kind)
    assert str(error.value).endswith(".") and "\n" not in str(error.value)


def test_model_is_cached_and_reused(shop, tmp_path):
    cache = tmp_path / "cache"
    first = CodeSearch(shop, cache_dir=cache)
    assert first.built
    stamp = first.cache_path.stat().st_mtime_ns
    second = CodeSearch(shop, cache_dir=cache)
    assert not second.built
    assert second.cache_path.stat().st_mtime_ns == stamp
    assert second.search("banker's rounding") == first.search("banker's rounding")


def test_default_cache_lives_in_the_repo(shop):
    search = CodeSearch(shop)
    assert search.cache_path.parent == shop.root / ".suture" / "index"
    assert search.cache_path.exists()
    assert not CodeSearch(shop).built


def test_changed_file_invalidates_the_cache(shop):
    assert CodeSearch(shop).built
    assert not CodeSearch(shop).built
    path = shop.root / "shop" / "report.py"
    path.write_text(path.read_text() + "\n\ndef quarterly_summary():\n    '''Numbers for the quarter.'''\n")
    index = SymbolIndex.build(shop.root, workers=1)
    search = CodeSearch(index)
    assert search.built
    assert search.search("quarter numbers")[0].symbol == "quarterly_summary"
    assert not CodeSearch(index).built


@pytest.mark.parametrize("damage", [b"", b"garbage", b"suture-search-bm25 v1\n{\"fingerprint\": 1}\n"])
def test_corrupt_cache_is_rebuilt(shop, damage):
    search = CodeSearch(shop)
    expected = search.search("banker's rounding")
    search.cache_path.write_bytes(damage)
    again = CodeSearch(shop)
    assert again.built
    assert again.search("banker's rounding") == expected
    assert not CodeSearch(shop).built


def test_truncated_cache_is_rebuilt(shop):
    search = CodeSearch(shop)
    data = search.cache_path.read_bytes()
    search.cache_path.write_bytes(data[:-7])
    assert CodeSearch(shop).built


def test_unwritable_cache_still_searches(shop, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    search = CodeSearch(shop, cache_dir=blocker / "cache")
    assert search.built
    assert search.search("Money")[0].symbol == "Money"


def test_empty_repo_searches_to_nothing(make_repo):
    root = make_repo({"README.md": "nothing to index\n"})
    search = CodeSearch(SymbolIndex.build(root, workers=1))
    assert search.search("anything") == []
    assert search.search("anything", kind="code") == []


@pytest.mark.parametrize("source", ["def _():\n    pass\n", "def f(:\n    return\n"])
def test_a_repo_whose_symbols_have_no_searchable_words_searches_to_nothing(make_repo, source):
    # One symbol without a word to index (a function named `_`, a def cut short by a syntax error): the
    # documents' average length was 0 and `suture search` died dividing by it.
    root = make_repo({"a.py": source})
    done = suture("search", "anything", "--json", cwd=root)
    assert done.returncode == 1, done.stderr  # 1: nothing found
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"results": []}
    assert "internal error" not in done.stderr + done.stdout


def test_is_test_path():
    assert is_test_path("tests/test_cart.py")
    assert is_test_path("pkg/test_x.py")
    assert is_test_path("src/app.spec.ts")
    assert not is_test_path("shop/cart.py")
    assert not is_test_path("shop/contest.py")


STUBBED = {
    "geo/__init__.py": "",
    "geo/shapes.py": '''
        import math


        class Circle:
            """A circle of a given radius, centred at the origin."""

            def __init__(self, radius: float) -> None:
                self.radius = radius

            def area(self) -> float:
                """The area of the circle: pi times the radius squared."""
                if self.radius < 0:
                    raise ValueError("a circle's radius cannot be negative")
                return math.pi * self.radius * self.radius


        def scale_shape(shape, factor):
            """A copy of the shape, scaled by factor."""
            return Circle(shape.radius * factor)
    ''',
    "geo/shapes.pyi": '''
        class Circle:
            radius: float
            def __init__(self, radius: float) -> None: ...
            def area(self) -> float: ...

        def scale_shape(shape: Circle, factor: float) -> Circle: ...
    ''',
}


@pytest.mark.parametrize("query", ["area", "Circle.area", "circle area", "scale shape", "scale_shape"])
def test_the_implementation_ranks_above_its_stub_and_the_stub_is_still_found(make_repo, query):
    import json

    from conftest import suture

    repo = make_repo(STUBBED)
    done = suture("search", query, "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    hits = [(h["path"], h["symbol"]) for h in json.loads(done.stdout)["results"]]
    wanted = "Circle.area" if "area" in query else "scale_shape"
    implementation, stub = hits.index(("geo/shapes.py", wanted)), hits.index(("geo/shapes.pyi", wanted))
    assert implementation < stub, hits
