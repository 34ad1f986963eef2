"""Personalised PageRank against hand-computed values, and the repo map of a real indexed repo."""

from __future__ import annotations

import pytest

from suture.retrieval.index import SymbolIndex
from suture.retrieval.pagerank import pagerank
from suture.retrieval.repomap import ELISION, estimate_tokens, rank_definitions, repo_map

# -- pagerank


def test_pagerank_three_node_graph_by_hand():
    # A -> B, A -> C, B -> C, C -> A; d = 0.85, uniform jump:
    #   a = 0.05 + 0.85 c,  b = 0.05 + 0.85 a / 2,  c = 0.05 + 0.85 (a / 2 + b)
    # => a = 0.128625 / 0.3316875, b = 0.05 + 0.425 a, c = 0.0925 + 0.78625 a
    rank = pagerank({"A": {"B": 1, "C": 1}, "B": {"C": 1}, "C": {"A": 1}})
    a = 0.128625 / 0.3316875
    assert rank["A"] == pytest.approx(a, abs=1e-6)
    assert rank["B"] == pytest.approx(0.05 + 0.425 * a, abs=1e-6)
    assert rank["C"] == pytest.approx(0.0925 + 0.78625 * a, abs=1e-6)
    assert sum(rank.values()) == pytest.approx(1.0)


def test_pagerank_weights_split_the_walk():
    # A -> B (3), A -> C (1), B -> A, C -> A:
    #   b + c = 0.1 + 0.85 a  =>  a = 0.135 / 0.2775, b = 0.05 + 0.6375 a, c = 0.05 + 0.2125 a
    rank = pagerank({"A": {"B": 3.0, "C": 1.0}, "B": {"A": 1.0}, "C": {"A": 1.0}})
    a = 0.135 / 0.2775
    assert rank["A"] == pytest.approx(a, abs=1e-6)
    assert rank["B"] == pytest.approx(0.05 + 0.6375 * a, abs=1e-6)
    assert rank["C"] == pytest.approx(0.05 + 0.2125 * a, abs=1e-6)


def test_pagerank_dangling_mass_follows_the_personalisation():
    # A -> B, B has no out-edges; every jump (and B's dangling mass) lands on A:
    #   a = 0.15 + 0.85 b,  b = 0.85 a  =>  a = 0.15 / 0.2775
    rank = pagerank({"A": {"B": 1.0}, "B": {}}, {"A": 1.0})
    assert rank["A"] == pytest.approx(0.15 / 0.2775, abs=1e-6)
    assert rank["B"] == pytest.approx(0.85 * 0.15 / 0.2775, abs=1e-6)


def test_pagerank_personalisation_pulls_rank_towards_focus():
    graph = {"A": {"B": 1}, "B": {"C": 1}, "C": {"A": 1}, "D": {"A": 1}}
    plain = pagerank(graph)
    focused = pagerank(graph, {"D": 1.0})
    assert focused["D"] > plain["D"]
    assert focused["A"] > focused["C"]


def test_pagerank_edge_cases():
    assert pagerank({}) == {}
    # non-positive weights are no edges: both nodes dangle and share rank evenly
    assert pagerank({"A": {"B": 0.0, "A": -1.0}}) == pytest.approx({"A": 0.5, "B": 0.5})
    # a personalisation without positive mass falls back to uniform
    assert pagerank({"A": {"B": 1}, "B": {"A": 1}}, {"A": 0.0}) == pytest.approx({"A": 0.5, "B": 0.5})


# -- repo map

ACCOUNTS = {
    "core/__init__.py": "",
    "core/accounts.py": '''
        class UserAccount:
            """A signed-up user."""

            def __init__(self, name):
                self.name = name

            def display_name(self):
                return self.name.title()


        def load_user_account(name):
            return UserAccount(name)


        def _cache_key(name):
            return name.lower()
        ''',
    "billing/__init__.py": "",
    "billing/invoice.py": '''
        from core.accounts import load_user_account


        def render_invoice_pdf(name):
            account = load_user_account(name)
            return format_invoice_header(account)


        def format_invoice_header(account):
            return account.display_name()


        class InvoiceArchive:
            def store(self, pdf):
                return pdf
        ''',
    **{
        f"features/feature_{i}.py": f'''
            from core.accounts import UserAccount, load_user_account


            def handle_request_{i}(name):
                account = load_user_account(name)
                assert isinstance(account, UserAccount)
                return account.display_name()
            '''
        for i in range(6)
    },
}


@pytest.fixture
def accounts(make_repo):
    return SymbolIndex.build(make_repo(ACCOUNTS), workers=1)


def test_heavily_referenced_definitions_rank_first(accounts):
    ranked = rank_definitions(accounts)
    top = [(path, name) for path, name, _ in ranked[:3]]
    assert ("core/accounts.py", "load_user_account") in top
    assert ("core/accounts.py", "UserAccount") in top
    text = repo_map(accounts, tokens=40)
    assert "def load_user_account(name)" in text
    assert text.startswith("core/accounts.py:\n")


def test_map_respects_the_token_budget_and_grows_with_it(accounts):
    sizes = []
    for budget in (20, 40, 80, 160, 320, 10_000):
        text = repo_map(accounts, tokens=budget)
        assert estimate_tokens(text) <= budget
        sizes.append(len(text))
    assert sizes == sorted(sizes)
    assert sizes[0] < sizes[-1]
    everything = repo_map(accounts, tokens=10_000)
    for name in ("render_invoice_pdf", "InvoiceArchive", "store", "handle_request_5", "_cache_key"):
        assert name in everything
    assert repo_map(accounts, tokens=2) == ""  # not even one line fits
    assert repo_map(accounts, tokens=0) == ""


def test_map_shows_methods_under_their_class_with_elisions(accounts):
    text = repo_map(accounts, tokens=10_000)
    block = text.split("\n\n")[0]
    assert block.splitlines()[0] == "core/accounts.py:"
    assert "class UserAccount\n" in block
    assert "\n    def display_name(self)\n" in block
    assert ELISION in block


def test_focus_paths_pull_their_definitions_into_a_small_map(accounts):
    plain = repo_map(accounts, tokens=60)
    assert "render_invoice_pdf" not in plain
    focused = repo_map(accounts, tokens=60, focus_paths=["billing/invoice.py"])
    assert "render_invoice_pdf" in focused
    assert estimate_tokens(focused) <= 60
    folder = repo_map(accounts, tokens=60, focus_paths=["billing"])
    assert "render_invoice_pdf" in folder


def test_focus_idents_pull_their_definition_in(accounts):
    assert "class InvoiceArchive" not in repo_map(accounts, tokens=60)
    assert "class InvoiceArchive" in repo_map(accounts, tokens=60, focus_idents=["InvoiceArchive"])


def test_map_is_deterministic(accounts):
    again = SymbolIndex.build(accounts.root, workers=1, use_cache=False)
    first = repo_map(accounts, tokens=120, focus_paths=["billing/invoice.py"])
    assert first == repo_map(again, tokens=120, focus_paths=["billing/invoice.py"])
    assert first == repo_map(accounts, tokens=120, focus_paths=["billing/invoice.py"])


def test_private_names_rank_below_public_ones(accounts):
    ranked = [(path, name) for path, name, _ in rank_definitions(accounts)]
    assert ranked.index(("core/accounts.py", "_cache_key")) > ranked.index(("core/accounts.py", "load_user_account"))


def test_repo_without_definitions_maps_to_nothing(make_repo):
    root = make_repo({"README.md": "hello\n", "script.py": "print('hi')\n"})
    assert repo_map(SymbolIndex.build(root, workers=1)) == ""


def test_an_imported_module_wins_over_a_same_named_definition_elsewhere(make_repo):
    root = make_repo(
        {
            # the namesake sorts first, so only the import can put zeta's process ahead
            "engine/alpha.py": "def process(batch):\n    return list(batch)\n",
            "engine/zeta.py": "def process(batch):\n    return batch\n",
            "app.py": "from engine import zeta\n\n\ndef run(batch):\n    return zeta.process(batch)\n",
        }
    )
    ranked = [(path, name) for path, name, _ in rank_definitions(SymbolIndex.build(root, workers=1))]
    assert ranked.index(("engine/zeta.py", "process")) < ranked.index(("engine/alpha.py", "process"))
