"""The issue text's signals (tools/testing/issue_signals.py) over a real index of a small tree,
and their combination with SBFL (tools/testing/combine.py)."""

from __future__ import annotations

from suture.retrieval.index import SymbolIndex
from suture.tools.testing.combine import WEIGHTS, combine
from suture.tools.testing.issue_signals import MAX_ISSUE_CHARS, SignalValue, issue_evidence, parse_frames

from conftest import write_files

SOURCE = {
    "pkg/__init__.py": "",
    "pkg/text.py": (
        "def slugify(title):\n"
        '    """Lower-case words joined by dashes."""\n'
        "    return '-'.join(words(title))\n"
        "\n"
        "\n"
        "def words(title):\n"
        "    return title.lower().split()\n"
    ),
    "tests/test_text.py": "from pkg.text import slugify\n\ndef test_slugify():\n    assert slugify('A b') == 'a-b'\n",
}


def _index(tmp_path):
    write_files(tmp_path / "tree", SOURCE)
    return SymbolIndex.build(tmp_path / "tree", cache_dir=tmp_path / "cache", workers=1)


def test_pytest_short_frames_and_chained_tracebacks_are_parsed():
    text = ("Traceback (most recent call last):\n  File \"a.py\", line 3, in f\nKeyError\n\n"
            "During handling of the above exception, another exception occurred:\n\n"
            "Traceback (most recent call last):\n  File \"b.py\", line 9, in g\nValueError\n"
            "____ test_x ____\npkg/text.py:3: in slugify\n    return x\npkg/text.py:7: AttributeError\n")
    frames = parse_frames(text)
    assert [(f.path, f.line, f.func) for f in frames] == [
        ("a.py", 3, "f"), ("b.py", 9, "g"), ("pkg/text.py", 3, "slugify"), ("pkg/text.py", 7, "")]
    assert len({f.block for f in frames}) == 3


def test_frames_map_to_the_innermost_function_even_from_a_users_other_paths(tmp_path):
    index = _index(tmp_path)
    text = ("Traceback (most recent call last):\n"
            '  File "C:\\Users\\me\\site-packages\\pkg\\text.py", line 3, in slugify\n'
            '  File "/srv/other/pkg/text.py", line 12, in words\n'  # the user's copy: words() sat lower
            '  File "/usr/lib/python3.12/json/__init__.py", line 5, in loads\n'  # not the repo's
            '  File "tests/test_text.py", line 4, in test_slugify\n'
            "AttributeError: 'NoneType' object has no attribute 'lower'\n")
    signal = issue_evidence(text, index).signals["issue_traceback"]
    assert {key: value.value for key, value in signal.items()} == {
        ("pkg/text.py", "words"): 1.0, ("pkg/text.py", "slugify"): 0.5}


def test_huge_text_is_cut_with_a_note_and_foreign_or_wordless_text_gets_weight_zero(tmp_path):
    index = _index(tmp_path)
    huge = issue_evidence("slugify breaks on dashes. " * (MAX_ISSUE_CHARS // 10), index)
    assert any("only its first and last" in note for note in huge.notes)
    assert ("pkg/text.py", "slugify") in huge.signals["issue_bm25"]

    foreign = issue_evidence("Quand le titre contient des tirets, le résultat garde des doubles tirets "
                             "au lieu d'un seul et la page ne se charge plus du tout", index)
    assert "issue_bm25" in foreign.weights_off and "English" in foreign.notes[0]
    wordless = issue_evidence("zzz qqq", index)
    assert "issue_bm25" in wordless.weights_off and "matches no function" in wordless.notes[0]


def test_combination_without_other_signals_is_sbfl_and_weights_zero_change_nothing():
    sbfl = {("a.py", "f"): 0.7, ("a.py", "g"): 0.7, ("a.py", "h"): 0.2}
    assert combine(sbfl, {})[0] == sbfl
    dummy = SignalValue(symbol=None, value=1.0)
    bm25 = {"issue_bm25": {("a.py", "g"): dummy, ("b.py", "new"): dummy}}
    assert combine(sbfl, bm25, weights_off={"issue_bm25"})[0] == sbfl
    combined, records = combine(sbfl, bm25)
    assert combined[("a.py", "g")] == 0.7 + 0.7 * WEIGHTS["issue_bm25"]
    assert ("b.py", "new") not in combined  # a word match brings in no function the tests never ran
    assert records[("a.py", "g")]["issue_bm25"]["weight"] == WEIGHTS["issue_bm25"]
    frames = {"issue_traceback": {("b.py", "new"): dummy}}
    assert combine(sbfl, frames)[0][("b.py", "new")] == 0.7 * WEIGHTS["issue_traceback"]
