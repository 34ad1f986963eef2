"""The PyPI slow-function corpus (bench/pypi_slow/) keeps its format: the real cases load, and the layout
loader builds one case end to end from a synthetic library sdist made here (offline: the sdist is already
in the cache with its pinned hash, so pip is never called): the repo, the library's own tests through the
written pytest.ini and conftest shim, and the differential check that judges kept edits."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from suture.agent.optimize.perf_rules import RULES

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


corpus = _load("bench_pypi_slow_corpus", ROOT / "bench" / "pypi_slow" / "corpus.py")
bench = _load("bench_pypi_slow", ROOT / "bench" / "bench_pypi_slow.py")

TINY = '''\
def dedupe(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
'''
TINY_TEST = '''\
from tinylib import dedupe


def test_keeps_first_order():
    assert dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_deselected_by_the_manifest():
    assert False, "the manifest deselects this test"
'''
WORKLOAD = '''\
import random

TARGET = "tinylib:dedupe"
SCALE = 4


def make_input(scale):
    rng = random.Random(1)
    return ([rng.randint(0, 50) for _ in range(40 * scale)],)


def edge_inputs():
    yield ([],)
    yield (["a", "a", 1, 1.0, True],)
'''


def _sdist(path: Path) -> str:
    """A tinylib-0.1.tar.gz laid out as an sdist (one top folder), with its own tests; its sha256."""
    with tarfile.open(path, "w:gz") as tar:
        for name, text in {"tinylib.py": TINY, "tests/test_tiny.py": TINY_TEST, "PKG-INFO": "Name: tinylib\n"}.items():
            data = text.encode()
            info = tarfile.TarInfo(f"tinylib-0.1/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _synthetic_corpus(tmp: Path, *, target: str = "tinylib:dedupe") -> tuple[Path, Path]:
    cache = tmp / "cache"
    (cache / "sdists").mkdir(parents=True)
    sha = _sdist(cache / "sdists" / "tinylib-0.1.tar.gz")
    corpus_dir = tmp / "corpus"
    (corpus_dir / "tiny_dedupe").mkdir(parents=True)
    (corpus_dir / "libraries.toml").write_text(textwrap.dedent(f'''\
        [[library]]
        name = "tinylib"
        version = "0.1"
        sdist = "tinylib-0.1.tar.gz"
        sha256 = "{sha}"
        tests = ["tests/test_tiny.py"]
        held_out = true
        deselect = [{{ test = "tests/test_tiny.py::test_deselected_by_the_manifest", reason = "synthetic" }}]
        conftest_extra = "SHIM_RAN = True\\n"
        '''))
    (corpus_dir / "tiny_dedupe" / "case.toml").write_text(textwrap.dedent(f'''\
        library = "tinylib"
        target = "{target}"
        kind = "quadratic-membership"
        expected_rule = "seen-list-to-set"
        description = "a seen-list."
        '''))
    (corpus_dir / "tiny_dedupe" / "workload.py").write_text(WORKLOAD)
    return corpus_dir, cache


def test_real_corpus_cases_are_well_formed():
    loaded = corpus.load_corpus()
    assert len(loaded.cases) >= 15
    assert {c.kind for c in loaded.cases} <= {
        "quadratic-membership", "quadratic-counting", "naive-string-building", "recomputation", "eager-evaluation",
        "wrong-data-structure", "repeated-regex-compile", "sort-for-extreme", "repeated-lookup"}
    for case in loaded.cases:
        assert case.expected_rule == "none" or case.expected_rule in RULES, case.name
        assert len(case.library.sha256) == 64 and case.library.sdist.endswith(".tar.gz"), case.library.name
    held_out = {c.library.name for c in loaded.cases if c.held_out}
    assert held_out and held_out != {c.library.name for c in loaded.cases}
    # No library of another bench corpus: the set measures code nobody here tuned for.
    others = (ROOT / "bench" / "faults" / "libraries.toml").read_text() + (ROOT / "bench" / "real" / "libraries.toml").read_text()
    assert not [lib for lib in loaded.libraries if f'name = "{lib}"' in others]


def test_synthetic_case_builds_runs_its_suite_and_the_differential_sees_a_change(tmp_path):
    corpus_dir, cache = _synthetic_corpus(tmp_path)
    (case,) = corpus.load_corpus(corpus_dir).cases
    assert case.held_out and case.target == "tinylib:dedupe"
    repo = corpus.copy_case(case, tmp_path / "repo", cache)
    assert corpus.faults.git(repo, "rev-list", "--count", "HEAD").strip() == "1"
    assert corpus.faults.git(repo, "status", "--porcelain").strip() == ""
    assert "SHIM_RAN = True" in (repo / "conftest.py").read_text()

    run = corpus.run_suite(repo, timeout=600)  # a guard against a hang, not a timing
    assert run.outcomes == {"tests/test_tiny.py::test_keeps_first_order": "passed"}, (run.timed_out, run.output)

    before = corpus.differential(repo)
    assert len(before) == 3 + 2  # DIFF_SCALES 0-2 and the two edge inputs
    # An equivalent rewrite (a shadow set) changes no outcome; one that returns a set does.
    (repo / "tinylib.py").write_text(TINY.replace("    seen = []\n", "    seen = []\n    mark = set()\n")
                                     .replace("if item not in seen:", "if item not in mark:")
                                     .replace("seen.append(item)", "seen.append(item)\n            mark.add(item)"))
    assert corpus.behaviour_diff(before, corpus.differential(repo)) == []
    (repo / "tinylib.py").write_text("def dedupe(items):\n    return list(set(items))\n")
    assert corpus.behaviour_diff(before, corpus.differential(repo))


def test_malformed_cases_and_a_wrong_hash_say_one_sentence(tmp_path):
    corpus_dir, cache = _synthetic_corpus(tmp_path, target="tinylib:other")
    with pytest.raises(corpus.PypiSlowError, match="workload.py's TARGET"):
        corpus.load_corpus(corpus_dir)
    (corpus_dir / "tiny_dedupe" / "case.toml").write_text(
        (corpus_dir / "tiny_dedupe" / "case.toml").read_text().replace('"tinylib:other"', '"tinylib:dedupe"')
        .replace('library = "tinylib"', 'library = "nolib"'))
    with pytest.raises(corpus.PypiSlowError, match="not in libraries.toml"):
        corpus.load_corpus(corpus_dir)
    libraries = corpus.load_libraries(corpus_dir / "libraries.toml")
    tampered = corpus.PypiLibrary(**{**vars(libraries["tinylib"]), "sha256": "0" * 64})
    with pytest.raises(corpus.faults.CorpusError, match="pins"):  # checked, never re-downloaded
        corpus.fetch(tampered, cache)


def test_the_bench_says_why_nothing_was_kept():
    assert bench.why_nothing({"candidates": [], "stopped_because": "no rule applies to the hot functions"}) \
        .startswith("no rule applies")
    gated = {"candidates": [{"source": "seen-list-to-set", "stage": "tests", "reason": "2 tests fail"}]}
    assert bench.why_nothing(gated) == "gate: seen-list-to-set rejected at tests: 2 tests fail"
    timed = {"candidates": [{"source": "str-concat-to-join", "stage": "measured", "speedup": 1.01,
                             "reason": "1.01x (95% CI 0.98-1.04)"}]}
    assert bench.why_nothing(timed).startswith("timing: not significant: str-concat-to-join 1.01x")
    cut = {"candidates": [gated["candidates"][0], {"source": "hoist-invariant-call", "stage": "timing",
                                                    "reason": "no time left to measure it"}]}
    assert bench.why_nothing(cut) == "timing: hoist-invariant-call: no time left to measure it"
    # A run that stopped at a guard measured nothing: it is counted apart, never as "not significant".
    errored = bench.CaseResult("c", "lib 1", False, "recomputation", "none", "error", 1.0, [], [], 0,
                               "error: it took longer than 10 s", 1.0, None)
    kept = bench.CaseResult("d", "lib 1", True, "recomputation", "none", "optimized", 2.0, ["1.8-2.2"], ["r"], 1,
                            "", 1.0, False)
    assert bench._share([errored]) == "not measured (0 judged), 1 error rows"
    assert bench._share([errored, kept]) == "1/1 = 100%, 1 error rows"
