"""SymbolIndex: building, the content-keyed cache, parallel parsing, bad input."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import git, write_files

from suture.retrieval.index import MANIFEST_NAME, SymbolIndex
from suture.retrieval.model import CALL, METHOD, FileIndex, RetrievalError, Symbol

FILES = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": '''\
        """Shapes."""
        import math

        class Circle:
            """A round shape."""
            def area(self):
                return math.pi * self.r ** 2

        def make_circle(r):
            return Circle()
        ''',
    "pkg/broken.py": "def ok():\n    pass\n\ndef bad(:\n    pass\n",
    "web/app.ts": "export class App { run(): void { start(); } }\n",
    "cmd/main.go": "package main\n\nfunc main() { serve() }\n",
    "README.md": "# not code\n",
    "logo.png": b"\x89PNG\r\n\x1a\n\0\0\0binary",
    "fake.py": b"x = 1\n\0\0binary disguised as python",
    "huge.py": "x = 1\n" * 400,
    "latin1.py": b"def caf\xe9():\n    return '\xff'\n",
    "node_modules/lib/index.js": "function vendored() {}\n",
    ".gitignore": "ignored_dir/\n",
}


@pytest.fixture
def repo(make_repo):
    root = make_repo(FILES)
    write_files(root, {"ignored_dir/gen.py": "def generated(): pass\n"})
    return root


def build(root, **kwargs):
    kwargs.setdefault("workers", 1)
    kwargs.setdefault("max_file_bytes", 1000)
    return SymbolIndex.build(root, **kwargs)


def test_build_indexes_code_and_counts_skips(repo):
    index = build(repo)
    assert index.root == repo.resolve()
    assert index.paths() == ["cmd/main.go", "latin1.py", "pkg/__init__.py", "pkg/broken.py", "pkg/shapes.py", "web/app.ts"]
    assert index.stats.files == 6 and index.stats.parsed == 6 and index.stats.reused == 0
    assert index.stats.skipped == {"binary": 1, "too_large": 1, "vendored": 1, "gitignored": 1}
    area = index.find("Circle.area")
    assert [(s.path, s.kind, s.parent_class, s.start_line) for s in area] == [("pkg/shapes.py", METHOD, "Circle", 6)]
    assert index.find("area") == area
    assert index.find("Circle")[0].docstring == "A round shape."
    assert [s.qualname for s in index.symbols_in("pkg/shapes.py")] == ["Circle", "Circle.area", "make_circle"]
    assert [s.qualname for s in index.symbols_in("web/app.ts")] == ["App", "App.run"]
    assert index.find("main")[0].path == "cmd/main.go"
    assert index.find("nope") == [] and index.symbols_in("nope.py") == []


def test_syntax_errors_and_undecodable_files_stay_indexed(repo):
    index = build(repo)
    broken = index.file("pkg/broken.py")
    assert broken.syntax_errors > 0
    assert "ok" in [s.name for s in broken.symbols]
    (latin,) = index.symbols_in("latin1.py")
    assert latin.name.startswith("caf")  # tree-sitter stops the identifier at the bad byte
    assert index.file("missing.py") is None


def test_file_and_references(repo):
    index = build(repo)
    shapes = index.file("pkg/shapes.py")
    assert isinstance(shapes, FileIndex)
    assert shapes.language == "python" and shapes.line_count == 10
    assert len(shapes.content_hash) == 40
    calls = {(r.name, r.scope) for r in shapes.references if r.kind == CALL}
    assert ("Circle", "make_circle") in calls
    assert ("math", "import") in {(r.name, r.kind) for r in index.references()}
    assert [s.qualname for s in index.symbols()][:1] == ["main"]  # file order: cmd/main.go first


def test_references_to_matches_a_filter_over_all_references(repo, tmp_path):
    cache = tmp_path / "cache"
    build(repo, cache_dir=cache)
    index = build(repo, cache_dir=cache)  # records come from the pack, not from memory
    for name in ("Circle", "math", "start", "serve", "pi", "absent"):
        assert index.references_to(name) == [r for r in index.references() if r.name == name]
    assert [r.scope for r in index.references_to("Circle")] == ["make_circle"]


def test_second_build_parses_nothing(repo, tmp_path):
    cache = tmp_path / "cache"
    first = build(repo, cache_dir=cache)
    second = build(repo, cache_dir=cache)
    assert second.stats.parsed == 0 and second.stats.reused == 6
    assert list(second.symbols()) == list(first.symbols())
    assert list(second.references()) == list(first.references())
    assert second.fingerprint() == first.fingerprint()


def test_default_cache_lives_in_dot_suture_and_stays_out_of_git(repo):
    build(repo)
    assert (repo / ".suture" / "index" / MANIFEST_NAME).is_file()
    assert ".suture" not in git(repo, "status", "--porcelain")
    assert build(repo).stats.parsed == 0


def test_changed_content_reparses_one_file(repo, tmp_path):
    cache = tmp_path / "cache"
    first = build(repo, cache_dir=cache)
    (repo / "pkg/shapes.py").write_text("def renamed():\n    pass\n")
    index = build(repo, cache_dir=cache)
    assert index.stats.parsed == 1 and index.stats.reused == 5
    assert index.find("Circle") == [] and index.find("renamed")[0].path == "pkg/shapes.py"
    assert index.fingerprint() != first.fingerprint()
    assert build(repo, cache_dir=cache).stats.parsed == 0


def test_same_size_change_is_caught_by_hash(repo, tmp_path):
    cache = tmp_path / "cache"
    build(repo, cache_dir=cache)
    path = repo / "pkg/shapes.py"
    info = path.stat()
    path.write_text(path.read_text().replace("make_circle", "make_square"))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    index = build(repo, cache_dir=cache)
    assert index.stats.parsed == 1
    assert index.find("make_square")


def test_touching_mtime_only_reparses_nothing(repo, tmp_path):
    cache = tmp_path / "cache"
    build(repo, cache_dir=cache)
    path = repo / "pkg/shapes.py"
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))
    index = build(repo, cache_dir=cache)
    assert index.stats.parsed == 0 and index.stats.reused == 6
    assert index.file("pkg/shapes.py").mtime_ns == info.st_mtime_ns + 5_000_000_000
    assert build(repo, cache_dir=cache).stats.parsed == 0  # the new mtime was saved


def test_deleted_file_is_removed(repo, tmp_path):
    cache = tmp_path / "cache"
    build(repo, cache_dir=cache)
    (repo / "web/app.ts").unlink()
    index = build(repo, cache_dir=cache)
    assert index.stats.removed == 1 and index.stats.parsed == 0
    assert "web/app.ts" not in index.paths() and index.find("App") == []


@pytest.mark.parametrize("damage", ["garbage_manifest", "truncated_pack", "missing_pack", "empty_manifest"])
def test_corrupt_cache_rebuilds(repo, tmp_path, damage):
    cache = tmp_path / "cache"
    expected = [s.qualname for s in build(repo, cache_dir=cache).symbols()]
    (pack,) = cache.glob("pack-*.bin")
    if damage == "garbage_manifest":
        (cache / MANIFEST_NAME).write_bytes(b"\x00not marshal at all")
    elif damage == "empty_manifest":
        (cache / MANIFEST_NAME).write_bytes(b"")
    elif damage == "truncated_pack":
        pack.write_bytes(pack.read_bytes()[:10])
    else:
        pack.unlink()
    index = build(repo, cache_dir=cache)
    assert index.stats.parsed == 6
    assert [s.qualname for s in index.symbols()] == expected
    assert build(repo, cache_dir=cache).stats.parsed == 0


def test_use_cache_false_writes_nothing(repo, tmp_path):
    cache = tmp_path / "cache"
    index = build(repo, cache_dir=cache, use_cache=False)
    assert index.stats.parsed == 6 and not cache.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_cache_dir_still_indexes(repo, tmp_path):
    cache = tmp_path / "ro"
    cache.mkdir()
    cache.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        index = build(repo, cache_dir=cache)
        assert index.stats.files == 6 and index.find("Circle")
    finally:
        cache.chmod(stat.S_IRWXU)


def test_unwritable_cache_path_still_indexes(repo, tmp_path):
    blocker = tmp_path / "file_not_dir"
    blocker.write_text("in the way")
    index = build(repo, cache_dir=blocker / "index")  # mkdir fails even for root
    assert index.stats.files == 6 and index.find("Circle")
    assert build(repo, cache_dir=blocker / "index").stats.parsed == 6


def test_two_workers_match_one(make_repo, tmp_path):
    files = {f"mod{i}.py": f"class C{i}:\n    def m(self):\n        return helper{i}()\n" for i in range(80)}
    root = make_repo(files)
    one = build(root, workers=1, use_cache=False)
    seen = []
    two = build(root, workers=2, use_cache=False, progress=lambda done, total: seen.append((done, total)))
    assert two.stats.parsed == 80
    assert list(two.symbols()) == list(one.symbols())
    assert list(two.references()) == list(one.references())
    assert seen[0] == (0, 80) and seen[-1] == (80, 80)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_plain_directory_is_indexed(tmp_path):
    root = tmp_path / "plain"
    write_files(root, {"a.py": "def alpha(): pass\n", ".gitignore": "b.py\n", "b.py": "def beta(): pass\n"})
    index = build(root)
    assert index.paths() == ["a.py"] and index.find("alpha")
    assert index.stats.skipped == {"gitignored": 1}


def test_empty_repo(make_repo):
    root = make_repo({}, commit=False)
    index = build(root)
    assert index.paths() == [] and list(index.symbols()) == []


def test_missing_root_and_file_root_raise(tmp_path):
    with pytest.raises(RetrievalError, match="does not exist"):
        SymbolIndex.build(tmp_path / "nope")
    (tmp_path / "file.py").write_text("x = 1\n")
    with pytest.raises(RetrievalError, match="not a directory"):
        SymbolIndex.build(tmp_path / "file.py")


def test_read_text(repo):
    index = build(repo)
    assert index.read_text("pkg/shapes.py").startswith('"""Shapes."""')
    assert "\ufffd" in index.read_text("latin1.py")
    with pytest.raises(RetrievalError):
        index.read_text("../outside.py")
    with pytest.raises(RetrievalError):
        index.read_text("missing.py")


def test_from_files(tmp_path):
    symbol = Symbol("m.py", "f", "f", "function", "python", 1, 2, "def f()")
    files = [FileIndex("m.py", "python", "abc", 10, 1, 2, 0, [symbol], [])]
    index = SymbolIndex.from_files(tmp_path, files)
    assert index.paths() == ["m.py"] and index.find("f") == [symbol]
    assert index.file("m.py") == files[0]
    assert index.stats.files == 1
    other = SymbolIndex.from_files(tmp_path, [FileIndex("m.py", "python", "abd", 10, 1, 2, 0, [symbol], [])])
    assert other.fingerprint() != index.fingerprint()


def _many_files(make_repo):
    return make_repo({f"m{i}.py": f"def f{i}():\n    return g{i}()\n" for i in range(40)})


def test_a_killed_worker_does_not_hang_or_lose_files(make_repo, monkeypatch):
    from suture.retrieval import index as index_module

    root = _many_files(make_repo)
    parent = os.getpid()
    real = index_module._index_chunk

    def dying(jobs):
        if os.getpid() != parent:
            os._exit(1)  # a worker killed mid-build (OOM killer, segfault)
        return real(jobs)

    dying.__module__, dying.__qualname__ = real.__module__, real.__qualname__  # picklable by name
    monkeypatch.setattr(index_module, "_index_chunk", dying)
    index = build(root, workers=2, use_cache=False)
    assert index.stats.parsed == 40 and len(index.paths()) == 40


def test_no_processes_available_falls_back_to_in_process(make_repo, monkeypatch):
    import concurrent.futures

    def refuse(*args, **kwargs):
        raise OSError("no processes here")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    index = build(_many_files(make_repo), workers=2, use_cache=False)
    assert index.stats.parsed == 40


def test_references_from_the_cache_equal_fresh_parse_records(repo):
    import dataclasses

    from suture.retrieval.parse import parse_source

    index = build(repo)
    fresh = parse_source("pkg/shapes.py", "python", (repo / "pkg/shapes.py").read_bytes())[1]
    cached = index.file("pkg/shapes.py").references
    assert cached == fresh and len({hash(r) for r in cached}) == len(set(fresh))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cached[0].name = "changed"


def test_a_cache_that_arrives_with_a_clone_is_never_unmarshalled(repo, tmp_path, monkeypatch):
    """A .suture/index committed by someone else (marshal is unsafe on foreign bytes) is rebuilt."""
    build(repo)
    git(repo, "add", "-f", ".suture")
    git(repo, "commit", "-qm", "ship a cache")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    assert (clone / ".suture" / "index" / MANIFEST_NAME).is_file()

    import marshal

    real_loads = marshal.loads
    unmarshalled = []
    monkeypatch.setattr(marshal, "loads", lambda data: unmarshalled.append(len(data)) or real_loads(data))
    index = build(clone)
    assert unmarshalled == [] and index.stats.parsed == index.stats.files > 0
    assert build(clone).stats.parsed == 0  # the rebuilt cache is stamped for this directory
