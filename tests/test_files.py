"""Which files the index reads: git listing, plain-directory walk, skips and their counts."""

from __future__ import annotations

import os

from suture.retrieval.files import list_source_files, read_source

from conftest import git, write_files


def paths(listing):
    return [f.path for f in listing.files]


def test_git_repo_respects_gitignore_and_skips_vendored(make_repo):
    repo = make_repo(
        {
            ".gitignore": "generated/\n*.gen.py\n",
            "src/app.py": "def main(): pass\n",
            "src/lib.go": "package lib\n",
            "README.md": "# readme\n",
            "data.json": "{}\n",
            "legacy/old.rb": "def x; end\n",
            "node_modules/pkg/index.js": "function f() {}\n",
            "node_modules/pkg/other.js": "function g() {}\n",
            "vendor/dep/dep.go": "package dep\n",
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/site.py": "def venv_code(): pass\n",
            "tools/venv/__init__.py": "def create(): pass\n",  # a package named venv is real code
        }
    )
    write_files(repo, {"generated/out.py": "x = 1\n", "mod.gen.py": "y = 2\n", "untracked.py": "z = 3\n"})
    listing = list_source_files(repo, 1_000_000)
    assert paths(listing) == ["src/app.py", "src/lib.go", "tools/venv/__init__.py", "untracked.py"]
    assert [f.language for f in listing.files] == ["python", "go", "python", "python"]
    assert listing.skipped["vendored"] == 3  # node_modules/, vendor/ and the env/ virtualenv, each once
    assert listing.skipped["no_grammar"] == 1
    assert listing.skipped["gitignored"] == 2  # generated/ and mod.gen.py


def test_deleted_tracked_file_and_huge_file(make_repo):
    repo = make_repo({"a.py": "a = 1\n", "gone.py": "b = 2\n", "big.py": "x = 1\n" * 1000})
    (repo / "gone.py").unlink()
    listing = list_source_files(repo, max_file_bytes=100)
    assert paths(listing) == ["a.py"]
    assert listing.skipped == {"too_large": 1}


def test_symlink_outside_root_is_skipped(make_repo, tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text("def secret(): pass\n")
    repo = make_repo({"a.py": "a = 1\n", "inner.py": "def i(): pass\n"})
    os.symlink(outside, repo / "link_out.py")
    os.symlink(repo / "inner.py", repo / "link_in.py")
    listing = list_source_files(repo, 1_000_000)
    assert paths(listing) == ["a.py", "inner.py", "link_in.py"]
    assert listing.skipped["outside_root"] == 1


def test_plain_directory_walk_honours_nested_gitignores(tmp_path):
    root = tmp_path / "plain"
    write_files(
        root,
        {
            ".gitignore": "*.tmp.py\nbuild_out/\n",
            "pkg/.gitignore": "secret.py\n!keep.tmp.py\n",
            "pkg/a.py": "def a(): pass\n",
            "pkg/secret.py": "s = 1\n",
            "pkg/keep.tmp.py": "k = 1\n",
            "pkg/drop.tmp.py": "d = 1\n",
            "build_out/x.py": "x = 1\n",
            "pkg/__pycache__/a.cpython-311.py": "junk\n",
            "site-packages/dep/d.py": "d = 1\n",
            "myenv/pyvenv.cfg": "home = /usr/bin\n",
            "myenv/lib/x.py": "x = 1\n",
            "venv/__init__.py": "def create(): pass\n",
            ".git_not_really/x.c": "int x;\n",
        },
    )
    listing = list_source_files(root, 1_000_000)
    assert paths(listing) == [".git_not_really/x.c", "pkg/a.py", "pkg/keep.tmp.py", "venv/__init__.py"]
    assert listing.skipped["gitignored"] == 3  # build_out/, secret.py, drop.tmp.py
    assert listing.skipped["vendored"] == 2  # site-packages/ and the myenv/ virtualenv
    assert "__pycache__" not in str(listing)


def test_read_source_rejects_binary_and_grown_files(tmp_path):
    (tmp_path / "bin.py").write_bytes(b"x = 1\n\0\0\0")
    (tmp_path / "ok.py").write_bytes(b"x = 1\n")
    (tmp_path / "big.py").write_bytes(b"#" * 50)
    assert read_source(tmp_path, "bin.py", 1000) == (None, "binary")
    assert read_source(tmp_path, "ok.py", 1000) == (b"x = 1\n", "")
    assert read_source(tmp_path, "big.py", 10) == (None, "too_large")
    assert read_source(tmp_path, "missing.py", 10) == (None, "unreadable")


def test_subdirectory_of_a_repo_lists_relative_paths(make_repo):
    repo = make_repo({"top.py": "t = 1\n", "sub/inner.py": "i = 1\n"})
    git(repo, "status")
    listing = list_source_files(repo / "sub", 1_000_000)
    assert paths(listing) == ["inner.py"]


def test_source_encoding_follows_pep_263():
    from suture.retrieval.files import decode_source, source_encoding

    latin = b"# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n"
    assert source_encoding(latin, "m.py") == "iso8859-1"
    assert decode_source(latin, "m.py").endswith("NAME = 'caf\u00e9'\n")
    assert source_encoding(latin, "notes.txt") == "utf-8"  # only Python files declare one
    assert source_encoding(b"\xef\xbb\xbfx = 1\n", "m.py") == "utf-8"
    assert decode_source(b"\xef\xbb\xbfx = 1\n", "m.py") == "x = 1\n"
    assert source_encoding(b"# coding: no-such-codec\nx = 1\n", "m.py") == "utf-8"
    # A declaration the bytes do not follow is not trusted; the bytes survive as surrogates.
    broken = b"# coding: ascii\nNAME = 'caf\xe9'\n"
    assert source_encoding(broken, "m.py") == "utf-8"
    assert decode_source(broken, "m.py").encode("utf-8", "surrogateescape") == broken


def test_encode_source_writes_back_what_decode_source_read():
    from suture.retrieval.files import decode_source, encode_source

    latin = "# -*- coding: latin-1 -*-\nNAME = 'crème'\n".encode("latin-1")
    assert encode_source(decode_source(latin, "m.py"), "m.py") == latin
    plain = "NAME = 'crème'\n".encode("utf-8")
    assert encode_source(decode_source(plain, "m.py"), "m.py") == plain
    # A character the declared codec cannot hold: UTF-8 rather than an exception.
    assert encode_source("# -*- coding: latin-1 -*-\nX = '€'\n", "m.py") == "# -*- coding: latin-1 -*-\nX = '€'\n".encode("utf-8")
