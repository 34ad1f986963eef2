"""apply_edits, parse_edit_blocks, diff_worktree/apply_patch and normalized_key on real files and git repos."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest
from conftest import git

from suture.tools import edits as edits_module
from suture.tools.edits import (
    CreateFile,
    DeleteFile,
    Edit,
    EditFormatError,
    EditStatus,
    PatchError,
    apply_edits,
    apply_patch,
    diff_worktree,
    normalized_key,
    parse_edit_blocks,
)
from suture.tools.git.worktree import scratch_worktree

S = EditStatus

MODULE = textwrap.dedent(
    """\
    def area(width, height):
        if width < 0:
            raise ValueError("negative")
        return width * height


    class Box:
        def volume(self, depth):
            if depth < 0:
                raise ValueError("negative")
            return self.w * self.h * depth
    """
)


def tree_bytes(root: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every file and link under root (outside .git) with its mode: what a rejected edit must not change."""
    found: dict[str, tuple[bytes | str, int]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if ".git" in path.relative_to(root).parts:
            continue
        if path.is_symlink():
            found[rel] = (os.readlink(path), 0)
        elif path.is_file():
            found[rel] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
        else:
            found[rel + "/"] = (b"", 0)
    return found


def one(root: Path, edit, **kwargs):
    [result] = apply_edits(root, [edit], **kwargs)
    return result


@pytest.fixture
def repo(make_repo):
    return make_repo({"pkg/geometry.py": MODULE, "pkg/__init__.py": "", "README.md": "Geometry.\n"})


# ------------------------------------------------------------------ matching


def test_exact_match_is_applied(repo):
    result = one(repo, Edit("pkg/geometry.py", "    return width * height\n", "    return abs(width) * height\n"))
    assert result.status is S.APPLIED and result.path == "pkg/geometry.py"
    assert "line 4" in result.message and "indentation" not in result.message
    assert "    return abs(width) * height\n" in (repo / "pkg/geometry.py").read_text()


def test_fragment_without_newline_matches_inside_a_line(repo):
    result = one(repo, Edit("pkg/geometry.py", "self.w * self.h", "self.w * self.h * 1"))
    assert result.status is S.APPLIED
    assert "return self.w * self.h * 1 * depth" in (repo / "pkg/geometry.py").read_text()


def test_a_multi_line_search_that_starts_or_ends_mid_line_matches_as_text(repo):
    # Two lines and the start of a third: no whole-line window holds it, the exact text does.
    search = 'if width < 0:\n        raise ValueError("negative")\n    return width'
    result = one(repo, Edit("pkg/geometry.py", search, search.replace("width < 0", "width <= 0")))
    assert result.status is S.APPLIED, result.message
    text = (repo / "pkg/geometry.py").read_text()
    assert "    if width <= 0:\n" in text and "    return width * height\n" in text


def test_a_replace_text_that_is_only_a_chance_fragment_is_not_already_applied(repo):
    # "h" occurs in the file, but the edit was never applied: the SEARCH is simply wrong.
    result = one(repo, Edit("pkg/geometry.py", "return width / height", "h"))
    assert result.status is S.NOT_FOUND
    applied = one(repo, Edit("pkg/geometry.py", "return width / height", "return width * height"))
    assert applied.status is S.ALREADY_APPLIED


def test_less_indented_search_matches_and_replace_is_indented_like_the_file(repo):
    search = "if depth < 0:\n    raise ValueError('x')\n".replace("'x'", '"negative"')
    replace = 'if depth <= 0:\n    raise ValueError("not positive")\n'
    result = one(repo, Edit("pkg/geometry.py", search, replace))
    assert result.status is S.APPLIED and "adjusting its indentation" in result.message
    text = (repo / "pkg/geometry.py").read_text()
    assert '        if depth <= 0:\n            raise ValueError("not positive")\n' in text
    assert text.count("raise ValueError") == 2


def test_more_indented_search_is_dedented_and_so_is_replace(make_repo):
    root = make_repo({"m.py": "def f(x):\n    return x\n"})
    search = "        def f(x):\n            return x\n"
    replace = "        def f(x):\n            return x + 1\n    # a comment less indented than the shift\n"
    result = one(root, Edit("m.py", search, replace))
    assert result.status is S.APPLIED
    assert (root / "m.py").read_text() == "def f(x):\n    return x + 1\n# a comment less indented than the shift\n"


def test_indentation_difference_must_be_the_same_for_every_line(make_repo):
    root = make_repo({"m.py": "def f(x):\n    y = x\n    return y\n"})
    # Second line shifted differently from the first: not an indentation-only difference.
    result = one(root, Edit("m.py", "def f(x):\n        y = x\n", "def f(x):\n    y = -x\n"))
    assert result.status is S.NOT_FOUND


def test_tabs_and_spaces_are_not_interchangeable(make_repo):
    root = make_repo({"m.py": "def f(x):\n\treturn x\n"})
    result = one(root, Edit("m.py", "def f(x):\n    return x\n", "def f(x):\n    return -x\n"))
    assert result.status is S.NOT_FOUND


def test_search_for_the_last_line_without_a_final_newline(make_repo):
    root = make_repo({"m.py": b"a = 1\nb = 2"})
    assert one(root, Edit("m.py", "b = 2\n", "b = 3\n")).status is S.APPLIED
    assert (root / "m.py").read_bytes() == b"a = 1\nb = 3"


def test_a_search_matching_twice_is_ambiguous_with_line_numbers(repo):
    result = one(repo, Edit("pkg/geometry.py", 'raise ValueError("negative")\n', 'raise ValueError("negative!")\n'))
    assert result.status is S.AMBIGUOUS
    assert "2 places" in result.message and "lines 3, 10" in result.message and "ignoring indentation" in result.message
    assert (repo / "pkg/geometry.py").read_text() == MODULE


def test_exact_ambiguity_is_reported_too(make_repo):
    root = make_repo({"m.txt": "x\ny\nx\ny\n"})
    result = one(root, Edit("m.txt", "x\ny\n", "z\n"))
    assert result.status is S.AMBIGUOUS and "lines 1, 3" in result.message


def test_exact_match_wins_over_indentation_tolerant_ones(make_repo):
    root = make_repo({"m.py": "if a:\n    x = 1\nx = 1\n"})
    result = one(root, Edit("m.py", "x = 1\n", "x = 2\n"))
    assert result.status is S.APPLIED
    assert (root / "m.py").read_text() == "if a:\n    x = 1\nx = 2\n"


def test_not_found_shows_the_most_similar_lines_with_numbers(repo):
    search = "    if depth < 1:\n        raise ValueError('negative')\n"
    result = one(repo, Edit("pkg/geometry.py", search, "    pass\n"))
    assert result.status is S.NOT_FOUND
    assert "not found in pkg/geometry.py" in result.message
    assert " 9 |         if depth < 0:" in result.message
    assert '10 |             raise ValueError("negative")' in result.message
    assert "Copy SEARCH exactly" in result.message


def test_not_found_in_an_empty_file_says_so(make_repo):
    root = make_repo({"empty.txt": ""})
    result = one(root, Edit("empty.txt", "x\n", "y\n"))
    assert result.status is S.NOT_FOUND and "empty" in result.message


def test_empty_search_on_an_existing_file_is_refused(repo):
    result = one(repo, Edit("pkg/geometry.py", "", "import os\n"))
    assert result.status is S.EMPTY_SEARCH and "copy the lines" in result.message


def test_empty_search_fills_an_existing_empty_file(repo):
    result = one(repo, Edit("pkg/__init__.py", "", "from .geometry import area\n"))
    assert result.status is S.APPLIED
    assert (repo / "pkg/__init__.py").read_text() == "from .geometry import area\n"


def test_identical_search_and_replace_is_no_change(repo):
    result = one(repo, Edit("pkg/geometry.py", "class Box:\n", "class Box:\n"))
    assert result.status is S.NO_CHANGE and "identical" in result.message


def test_replace_text_present_and_search_absent_is_already_applied(repo):
    result = one(repo, Edit("pkg/geometry.py", "class Crate:\n", "class Box:\n"))
    assert result.status is S.ALREADY_APPLIED and "already" in result.message


def test_applying_the_same_edit_twice_reports_already_applied(repo):
    edit = Edit("pkg/geometry.py", "def area(width, height):\n", "def area(width, height=1):\n")
    assert one(repo, edit).status is S.APPLIED
    assert one(repo, edit).status is S.ALREADY_APPLIED


def test_edits_apply_in_sequence_on_one_file(repo):
    results = apply_edits(
        repo,
        [
            Edit("pkg/geometry.py", "class Box:\n", "class Crate:\n"),
            Edit("pkg/geometry.py", "class Crate:\n", "class Crate(object):\n"),
        ],
    )
    assert [r.status for r in results] == [S.APPLIED, S.APPLIED]
    assert "class Crate(object):\n" in (repo / "pkg/geometry.py").read_text()


# ------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../outside.py", "pkg/../../outside.py", ".git/config", "pkg/../.git/HEAD", ""]
)
def test_paths_outside_the_work_tree_are_refused(repo, path):
    before = tree_bytes(repo)
    result = one(repo, Edit(path, "x", "y"))
    assert result.status is S.OUTSIDE_REPO and result.message
    assert tree_bytes(repo) == before


def test_a_symlink_leading_out_of_the_repo_is_refused(repo, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.py").write_text("KEY = 1\n")
    (repo / "linked").symlink_to(outside)
    (repo / "alias.py").symlink_to(outside / "secret.py")
    for path in ("linked/secret.py", "alias.py", "linked/new.py"):
        assert one(repo, Edit(path, "KEY = 1\n", "KEY = 2\n")).status is S.OUTSIDE_REPO
    assert one(repo, CreateFile("linked/new.py", "x = 1\n")).status is S.OUTSIDE_REPO
    assert (outside / "secret.py").read_text() == "KEY = 1\n" and not (outside / "new.py").exists()


def test_a_symlink_inside_the_repo_edits_its_target_and_delete_removes_the_link(repo):
    (repo / "alias.py").symlink_to("pkg/geometry.py")
    assert one(repo, Edit("alias.py", "class Box:\n", "class Crate:\n")).status is S.APPLIED
    assert (repo / "alias.py").is_symlink() and "class Crate:" in (repo / "pkg/geometry.py").read_text()
    assert one(repo, DeleteFile("alias.py")).status is S.APPLIED
    assert not (repo / "alias.py").is_symlink() and (repo / "pkg/geometry.py").exists()


def test_test_files_are_refused_unless_allowed(make_repo):
    root = make_repo({"tests/test_a.py": "def test_a():\n    assert 1\n", "src/conftest.py": "X = 1\n"})
    edit = Edit("tests/test_a.py", "    assert 1\n", "    assert 2\n")
    result = one(root, edit)
    assert result.status is S.TEST_FILE_EDIT and "test file" in result.message
    # A conftest.py is test configuration: protected even where test edits are allowed.
    assert one(root, Edit("src/conftest.py", "X = 1\n", "X = 2\n")).status is S.PROTECTED_PATH
    assert one(root, Edit("src/conftest.py", "X = 1\n", "X = 2\n"), allow_test_edits=True).status is S.PROTECTED_PATH
    assert one(root, CreateFile("tests/test_b.py", "")).status is S.TEST_FILE_EDIT
    assert one(root, edit, allow_test_edits=True).status is S.APPLIED
    assert "assert 2" in (root / "tests/test_a.py").read_text()


def test_missing_files(repo):
    result = one(repo, Edit("pkg/nothere.py", "x = 1\n", "x = 2\n"))
    assert result.status is S.FILE_NOT_FOUND and "empty SEARCH" in result.message
    assert one(repo, DeleteFile("pkg/nothere.py")).status is S.FILE_NOT_FOUND
    assert one(repo, Edit("pkg", "x", "y")).status is S.FILE_NOT_FOUND


def test_a_root_that_is_not_a_directory_creates_nothing(tmp_path):
    missing = tmp_path / "nowhere"
    [result] = apply_edits(missing, [CreateFile("a.py", "A = 1\n")])
    assert result.status is S.FILE_NOT_FOUND and "not a directory" in result.message
    assert not missing.exists()


def test_create_delete_and_create_via_empty_search(repo):
    results = apply_edits(
        repo,
        [
            CreateFile("pkg/sub/deep/new.py", "VALUE = 1\n"),
            Edit("pkg/other.py", "", "OTHER = 2\n"),
            DeleteFile("README.md"),
        ],
    )
    assert [r.status for r in results] == [S.APPLIED] * 3
    assert (repo / "pkg/sub/deep/new.py").read_text() == "VALUE = 1\n"
    assert (repo / "pkg/other.py").read_text() == "OTHER = 2\n"
    assert not (repo / "README.md").exists()


def test_creating_an_existing_file_is_refused(repo):
    result = one(repo, CreateFile("README.md", "new\n"))
    assert result.status is S.FILE_EXISTS and "SEARCH/REPLACE" in result.message
    assert (repo / "README.md").read_text() == "Geometry.\n"


def test_create_then_edit_then_delete_in_one_list_leaves_nothing(repo):
    before = tree_bytes(repo)
    results = apply_edits(
        repo, [CreateFile("tmp/x.py", "a = 1\n"), Edit("tmp/x.py", "a = 1\n", "a = 2\n"), DeleteFile("tmp/x.py")]
    )
    assert all(r.applied for r in results)
    assert tree_bytes(repo) == before


# ------------------------------------------------------------------ bytes kept


def test_crlf_bom_and_mode_are_kept(make_repo):
    original = b"\xef\xbb\xbf#!/usr/bin/env python\r\ndef f():\r\n    return 1\r\n"
    root = make_repo({"run.py": original})
    os.chmod(root / "run.py", 0o755)
    result = one(root, Edit("run.py", "def f():\n    return 1\n", "def f():\n    return 2  # two\n"))
    assert result.status is S.APPLIED
    assert (root / "run.py").read_bytes() == b"\xef\xbb\xbf#!/usr/bin/env python\r\ndef f():\r\n    return 2  # two\r\n"
    assert stat.S_IMODE((root / "run.py").stat().st_mode) == 0o755


def test_crlf_in_the_edit_text_matches_an_lf_file(make_repo):
    root = make_repo({"m.py": "a = 1\nb = 2\n"})
    assert one(root, Edit("m.py", "a = 1\r\nb = 2\r\n", "a = 1\r\nb = 3\r\n")).status is S.APPLIED
    assert (root / "m.py").read_bytes() == b"a = 1\nb = 3\n"


def test_bytes_that_are_not_utf8_survive_an_edit_elsewhere(make_repo):
    original = b"# caf\xe9 in latin-1\nNAME = 'x'\n"
    root = make_repo({"m.txt": original})
    assert one(root, Edit("m.txt", "NAME = 'x'\n", "NAME = 'y'\n")).status is S.APPLIED
    assert (root / "m.txt").read_bytes() == b"# caf\xe9 in latin-1\nNAME = 'y'\n"


def test_a_declared_latin1_file_is_matched_and_written_in_latin1(make_repo):
    # PEP 263: the coding line decides; SEARCH and REPLACE carry the real characters.
    original = b"# -*- coding: latin-1 -*-\r\nLABEL = 'r\xe9duit'\r\nLIMIT = 10\r\n"
    root = make_repo({"m.py": original})
    result = one(root, Edit("m.py", "LABEL = 'r\u00e9duit'\nLIMIT = 10\n", "LABEL = 'r\u00e9duit \u00e0 9'\nLIMIT = 9\n"))
    assert result.status is S.APPLIED, result.message
    assert (root / "m.py").read_bytes() == b"# -*- coding: latin-1 -*-\r\nLABEL = 'r\xe9duit \xe0 9'\r\nLIMIT = 9\r\n"
    # A character latin-1 cannot hold is refused, with nothing written.
    refused = one(root, Edit("m.py", "LIMIT = 9\n", "LIMIT = 9  # \u2264 nine\n"))
    assert not refused.applied and "iso8859-1" in refused.message
    assert (root / "m.py").read_bytes() == b"# -*- coding: latin-1 -*-\r\nLABEL = 'r\xe9duit \xe0 9'\r\nLIMIT = 9\r\n"


def test_a_created_file_is_written_in_its_declared_encoding(make_repo):
    root = make_repo({"a.py": "x = 1\n"})
    assert one(root, CreateFile("new.py", "# coding: latin-1\nNAME = 'caf\u00e9'\n")).status is S.APPLIED
    assert (root / "new.py").read_bytes() == b"# coding: latin-1\nNAME = 'caf\xe9'\n"


# ------------------------------------------------------------------ all or nothing


def test_one_rejected_edit_leaves_every_file_byte_identical(repo):
    before = tree_bytes(repo)
    results = apply_edits(
        repo,
        [
            Edit("pkg/geometry.py", "class Box:\n", "class Crate:\n"),
            CreateFile("pkg/new/mod.py", "X = 1\n"),
            DeleteFile("README.md"),
            Edit("pkg/geometry.py", "no such line\n", "x\n"),
            Edit("pkg/__init__.py", "", "import os\n"),
        ],
    )
    assert [r.status for r in results] == [S.APPLIED, S.APPLIED, S.APPLIED, S.NOT_FOUND, S.APPLIED]
    assert "nothing was written because edit 4 (pkg/geometry.py) was rejected" in results[0].message
    assert tree_bytes(repo) == before


def test_a_write_failing_half_way_is_rolled_back(repo, monkeypatch):
    before = tree_bytes(repo)
    real_write = edits_module._write
    calls = []

    def failing_write(state, created_dirs):
        calls.append(state.rel)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(state.abs))
        real_write(state, created_dirs)

    monkeypatch.setattr(edits_module, "_write", failing_write)
    results = apply_edits(
        repo,
        [
            Edit("pkg/geometry.py", "class Box:\n", "class Crate:\n"),
            CreateFile("pkg/new/deeper/mod.py", "X = 1\n"),
            Edit("README.md", "Geometry.\n", "Shapes.\n"),
        ],
    )
    assert len(calls) == 3
    assert {r.status for r in results} == {S.IO_ERROR}
    assert "No space left on device" in results[0].message and "restored" in results[0].message
    assert tree_bytes(repo) == before
    assert not (repo / "pkg/new").exists()


def test_an_interrupt_while_writing_is_rolled_back_and_reraised(repo, monkeypatch):
    os.chmod(repo / "pkg/geometry.py", 0o640)
    before = tree_bytes(repo)
    real_write = edits_module._write

    def interrupted(state, created_dirs):
        if state.rel == "README.md":
            raise KeyboardInterrupt
        real_write(state, created_dirs)

    monkeypatch.setattr(edits_module, "_write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        apply_edits(
            repo,
            [DeleteFile("pkg/geometry.py"), Edit("README.md", "Geometry.\n", "Shapes.\n")],
        )
    assert tree_bytes(repo) == before


# ------------------------------------------------------------------ parse gate


def test_a_new_tree_sitter_error_is_refused(make_repo):
    root = make_repo({"app.js": "function f(a) {\n  return a + 1;\n}\n"})
    result = one(root, Edit("app.js", "  return a + 1;\n", "  return (a + 1;\n"))
    assert result.status is S.NEW_SYNTAX_ERROR
    assert "javascript parser" in result.message and "(0 before)" in result.message and "line 2" in result.message
    assert (root / "app.js").read_text() == "function f(a) {\n  return a + 1;\n}\n"


def test_a_file_already_broken_elsewhere_can_still_be_edited(make_repo):
    broken_js = "function f(a) {\n  return a + 1;\n}\nfunction g( {\n"
    broken_py = "def f(a):\n    return a + 1\n\ndef g(:\n    pass\n"
    root = make_repo({"app.js": broken_js, "mod.py": broken_py})
    assert one(root, Edit("app.js", "  return a + 1;\n", "  return a + 2;\n")).status is S.APPLIED
    assert one(root, Edit("mod.py", "    return a + 1\n", "    return a + 2\n")).status is S.APPLIED
    # ...but a second, new error in the broken file is still caught (by tree-sitter's count).
    result = one(root, Edit("mod.py", "    return a + 2\n", "    return (a + 2\n"))
    assert result.status is S.NEW_SYNTAX_ERROR and "python parser" in result.message


def test_compile_catches_what_tree_sitter_accepts(make_repo):
    root = make_repo({"mod.py": "def f(a):\n    return a\n\nX = 1\n"})
    result = one(root, Edit("mod.py", "X = 1\n", "return 1\n"))
    assert result.status is S.NEW_SYNTAX_ERROR
    assert "Python cannot compile mod.py" in result.message and "'return' outside function" in result.message
    assert (root / "mod.py").read_text() == "def f(a):\n    return a\n\nX = 1\n"


def test_a_new_file_with_a_syntax_error_is_refused(repo):
    result = one(repo, CreateFile("pkg/bad.py", "def f(:\n"))
    assert result.status is S.NEW_SYNTAX_ERROR
    assert not (repo / "pkg/bad.py").exists()


def test_syntax_error_blames_the_edit_after_which_the_file_stayed_broken(make_repo):
    root = make_repo({"mod.py": "a = 1\nb = 2\nc = 3\n"})
    results = apply_edits(
        root,
        [
            Edit("mod.py", "a = 1\n", "a = (1\n"),  # broken...
            Edit("mod.py", "a = (1\n", "a = (1)\n"),  # ...mended
            Edit("mod.py", "c = 3\n", "c = [3\n"),  # broken for good
        ],
    )
    assert [r.status for r in results] == [S.APPLIED, S.APPLIED, S.NEW_SYNTAX_ERROR]
    assert (root / "mod.py").read_text() == "a = 1\nb = 2\nc = 3\n"


def test_files_without_a_grammar_are_not_gated(repo):
    assert one(repo, Edit("README.md", "Geometry.\n", "Geometry (\n")).status is S.APPLIED


# ------------------------------------------------------------------ block grammar

MODEL_ANSWER = """\
The bug is in `area`: negative heights are not checked. Here is the fix.

pkg/geometry.py
```python
<<<<<<< SEARCH
    if width < 0:
        raise ValueError("negative")
=======
    if width < 0 or height < 0:
        raise ValueError("negative")
>>>>>>> REPLACE
```

And a new helper module:

**pkg/checks.py**
```python
<<<<<<< SEARCH
=======
def non_negative(*values):
    return all(v >= 0 for v in values)
>>>>>>> REPLACE
```

```
README.md
<<<<<<<<< SEARCH
Geometry.
=====
Geometry helpers.
>>>>> REPLACE
```
That's all.
"""


def test_parse_realistic_model_answer_with_fences_and_several_files(repo):
    blocks = parse_edit_blocks(MODEL_ANSWER)
    assert blocks == [
        Edit(
            "pkg/geometry.py",
            '    if width < 0:\n        raise ValueError("negative")\n',
            '    if width < 0 or height < 0:\n        raise ValueError("negative")\n',
        ),
        Edit("pkg/checks.py", "", "def non_negative(*values):\n    return all(v >= 0 for v in values)\n"),
        Edit("README.md", "Geometry.\n", "Geometry helpers.\n"),
    ]
    results = apply_edits(repo, blocks)
    assert all(r.applied for r in results), results
    assert (repo / "pkg/checks.py").exists()
    assert "width < 0 or height < 0" in (repo / "pkg/geometry.py").read_text()


def test_parse_path_forms_and_a_block_reusing_the_previous_path():
    text = (
        "```src/app.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n```\n"
        "### `lib/x.go`:\n```go\n<<<<<<< SEARCH\ne\n=======\nf\n>>>>>>> REPLACE\n```\n"
        "File: Makefile\n\n<<<<<<< SEARCH\ng\n=======\n>>>>>>> REPLACE\n"
    )
    assert parse_edit_blocks(text) == [
        Edit("src/app.py", "a\n", "b\n"),
        Edit("src/app.py", "c\n", "d\n"),
        Edit("lib/x.go", "e\n", "f\n"),
        Edit("Makefile", "g\n", ""),
    ]


def test_parse_crlf_text_and_no_blocks():
    crlf = "a.py\r\n<<<<<<< SEARCH\r\nx\r\n=======\r\ny\r\n>>>>>>> REPLACE```\r\n"
    assert parse_edit_blocks(crlf) == [Edit("a.py", "x\n", "y\n")]
    assert parse_edit_blocks("No changes are needed.\n\nTitle\n=======\n") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n", "Block 1 (line 1) has no file path"),
        (
            "a.py\n<<<<<<< SEARCH\nx\ny\n>>>>>>> REPLACE\n",
            "Block 1 (a.py): its SEARCH section is not closed by a '======='",
        ),
        (
            "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n",
            "Block 1 (a.py): the text ends inside its REPLACE section; the '>>>>>>> REPLACE' line is missing",
        ),
        (
            "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\nb.py\n<<<<<<< SEARCH\nx\n",
            "Block 2 (b.py): the text ends inside its SEARCH section",
        ),
        ("a.py\n<<<<<<< SEARCH\nx\n=======\ny\n=======\nz\n>>>>>>> REPLACE\n", "exactly one '=======' per block"),
        ("a.py\n<<<<<<< SEARCH\nx\n=======\ny\n<<<<<<< SEARCH\n", "Block 1 (a.py): its REPLACE section is not closed"),
        ("a.py\nx\n>>>>>>> REPLACE\n", "without a '<<<<<<< SEARCH' line before it"),
    ],
)
def test_malformed_blocks_say_which_block_and_what_is_missing(text, expected):
    with pytest.raises(EditFormatError) as error:
        parse_edit_blocks(text)
    assert expected in str(error.value)


# ------------------------------------------------------------------ diffs


def test_diff_worktree_round_trips_through_apply_patch(make_repo):
    files = {
        "pkg/geometry.py": MODULE,
        "README.md": "Geometry.\n",
        "old.txt": "to be deleted\n",
        "logo.bin": bytes(range(256)),
        "run.sh": "echo hi\n",
    }
    repo = make_repo(files)
    with scratch_worktree(repo) as tree:
        results = apply_edits(
            tree,
            [
                Edit("pkg/geometry.py", "class Box:\n", "class Crate:\n"),
                CreateFile("pkg/sub/new.py", "NEW = 1\n"),
                DeleteFile("old.txt"),
            ],
        )
        assert all(r.applied for r in results)
        (tree / "logo.bin").write_bytes(bytes(range(255, -1, -1)) + b"\0")
        os.chmod(tree / "run.sh", 0o755)
        index_before = git(tree, "ls-files", "--stage")
        patch = diff_worktree(tree)
        assert git(tree, "ls-files", "--stage") == index_before  # the scratch index is not touched
        assert git(tree, "status", "--porcelain").count("??") == 1  # pkg/sub/ is still untracked
        expected = tree_bytes(tree)
    assert "diff --git a/pkg/sub/new.py b/pkg/sub/new.py\nnew file mode 100644" in patch
    assert "diff --git a/old.txt b/old.txt\ndeleted file mode 100644" in patch
    assert "GIT binary patch" in patch and "new mode 100755" in patch

    apply_patch(repo, patch, check_only=True)
    assert git(repo, "status", "--porcelain") == ""
    apply_patch(repo, patch)
    assert tree_bytes(repo) == expected
    assert git(repo, "diff", "--cached") == ""  # the working tree only, never the index
    assert diff_worktree(repo) == patch


def test_apply_patch_keeps_uncommitted_changes_elsewhere(make_repo):
    repo = make_repo({"a.py": "A = 1\n", "b.py": "B = 1\n"})
    with scratch_worktree(repo) as tree:
        apply_edits(tree, [Edit("a.py", "A = 1\n", "A = 2\n")])
        patch = diff_worktree(tree)
    (repo / "b.py").write_text("B = 'mine'\n")
    apply_patch(repo, patch)
    assert (repo / "a.py").read_text() == "A = 2\n" and (repo / "b.py").read_text() == "B = 'mine'\n"


def test_a_patch_that_does_not_apply_names_the_file_and_writes_nothing(make_repo):
    repo = make_repo({"a.py": "A = 1\n", "b.py": "B = 1\n"})
    with scratch_worktree(repo) as tree:
        apply_edits(tree, [Edit("a.py", "A = 1\n", "A = 2\n"), Edit("b.py", "B = 1\n", "B = 2\n")])
        patch = diff_worktree(tree)
    (repo / "b.py").write_text("B = 'changed by the user'\n")
    with pytest.raises(PatchError) as error:
        apply_patch(repo, patch)
    assert str(error.value) == "The patch does not apply to b.py: its context around line 1 does not match the file."
    assert (repo / "a.py").read_text() == "A = 1\n"  # all or nothing

    (repo / "b.py").unlink()
    with pytest.raises(PatchError, match=r"^The patch does not apply to b.py: the file does not exist\.$"):
        apply_patch(repo, patch, check_only=True)


def test_a_patch_creating_an_existing_file_and_garbage_patches(make_repo):
    repo = make_repo({"a.py": "A = 1\n"})
    with scratch_worktree(repo) as tree:
        apply_edits(tree, [CreateFile("new.py", "N = 1\n")])
        patch = diff_worktree(tree)
    (repo / "new.py").write_text("mine\n")
    with pytest.raises(PatchError, match="new.py: the patch creates it but the file already exists"):
        apply_patch(repo, patch)
    with pytest.raises(PatchError, match="not a patch"):
        apply_patch(repo, "this is not a diff\n")
    with pytest.raises(PatchError, match="empty"):
        apply_patch(repo, "")


def test_diff_of_an_unchanged_tree_is_empty_and_bad_trees_raise(make_repo, tmp_path):
    repo = make_repo({"a.py": "A = 1\n"})
    assert diff_worktree(repo) == ""
    with pytest.raises(PatchError, match="not inside a git work tree"):
        diff_worktree(tmp_path)
    empty = make_repo({"a.py": "A = 1\n"}, name="fresh", commit=False)
    with pytest.raises(PatchError, match="no commit yet"):
        diff_worktree(empty)


def test_diff_from_a_sub_directory_uses_paths_from_the_top(make_repo):
    repo = make_repo({"sub/a.py": "A = 1\n", "top.py": "T = 1\n"})
    with scratch_worktree(repo / "sub") as tree:
        apply_edits(tree, [Edit("a.py", "A = 1\n", "A = 2\n")])
        (tree.parent / "top.py").write_text("T = 2\n")
        patch = diff_worktree(tree)
    assert "a/sub/a.py" in patch and "a/top.py" in patch
    apply_patch(repo / "sub", patch)
    assert (repo / "sub/a.py").read_text() == "A = 2\n" and (repo / "top.py").read_text() == "T = 2\n"


def test_user_diff_config_does_not_change_the_patch(make_repo):
    repo = make_repo({"a.py": "A = 1\n"})
    git(repo, "config", "diff.noprefix", "true")
    git(repo, "config", "color.diff", "always")
    git(repo, "config", "apply.whitespace", "error")
    with scratch_worktree(repo) as tree:
        apply_edits(tree, [Edit("a.py", "A = 1\n", "A = 2   \n")])
        patch = diff_worktree(tree)
    assert "--- a/a.py\n+++ b/a.py\n" in patch and "\x1b[" not in patch
    apply_patch(repo, patch)
    assert (repo / "a.py").read_text() == "A = 2   \n"


# ------------------------------------------------------------------ normalized_key


def test_python_key_ignores_comments_and_whitespace_but_not_code():
    base = "def f(x):\n    return x + 1\n"
    same = "# header\ndef f( x ):\n\n    return x+1   # why\n"
    assert normalized_key("m.py", base) == normalized_key("m.py", same)
    assert normalized_key("m.py", base) != normalized_key("m.py", "def f(x):\n    return x + 2\n")
    assert normalized_key("m.py", "s = 'a b'\n") != normalized_key("m.py", "s = 'a  b'\n")


@pytest.mark.parametrize(
    ("path", "base", "same", "different"),
    [
        (
            "a.js",
            "function f(a) {\n  return a + 1;\n}\n",
            "// c\nfunction f(a){ return a+1; /* x */ }",
            "function f(a) { return a - 1; }",
        ),
        (
            "a.go",
            "package m\nfunc f() int { return 1 }\n",
            "package m\n// doc\nfunc f() int {\n\treturn 1\n}\n",
            "package m\nfunc f() int { return 2 }\n",
        ),
        ("a.rs", "fn f() -> i32 { 1 }\n", "/// doc\nfn f() -> i32 {\n    1 // one\n}\n", "fn f() -> i32 { 2 }\n"),
        ("bad.py", "def f(:\n    return 1\n", "def f( :  # c\n    return 1\n", "def f(:\n    return 2\n"),
        ("notes.txt", "a  b\nc\n", "a b c", "a b d"),
    ],
)
def test_other_languages_use_tokens_without_comments(path, base, same, different):
    assert normalized_key(path, base) == normalized_key(path, same)
    assert normalized_key(path, base) != normalized_key(path, different)


def test_string_contents_count_in_token_keys():
    a = 'const s = "a\\tb c";\n'
    b = 'const s = "a\\tb  c";\n'
    assert normalized_key("a.js", a) != normalized_key("a.js", b)


def test_diff_without_the_stat_cache_hashes_every_file(make_repo):
    # A stale stat cache (stat data that matches while the content does not) fools the fast
    # diff; the second opinion starts from HEAD's tree and hashes the file.
    repo = make_repo({"calc.py": "def add(a, b):\n    return a - b\n"})
    git(repo, "config", "core.trustctime", "false")
    path = repo / "calc.py"
    before = path.stat()
    git(repo, "update-index", "--refresh")
    path.write_text("def add(a, b):\n    return a + b\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    index = repo / ".git" / "index"
    later = before.st_mtime_ns + 5_000_000_000  # the index looks written well after the file
    os.utime(index, ns=(later, later))
    fast = diff_worktree(repo)
    thorough = diff_worktree(repo, trust_stat_cache=False)
    assert "+    return a + b" in thorough
    assert fast == "" or fast == thorough  # git may or may not trust its cache here; never wrong the other way


# ------------------------------------------------------------------ protected paths in every spelling (issue 16)


@pytest.mark.parametrize("path", [
    ".github/workflows/x.yml", "./.github/workflows/x.yml", "pkg/../.github/workflows/x.yml",
    "pkg\\..\\.github\\workflows\\x.yml", ".GitHub/workflows/x.yml", ".//.github//workflows/x.yml",
    "pytest.ini", "./tox.ini", "pkg/conftest.py", "setup.cfg", "noxfile.py", "pyproject.toml", "setup.py",
    "MANIFEST.in", ".gitlab-ci.yml", ".env", "deploy/key.pem", "home/id_rsa.pub", ".suture/last_delivery.json",
    "pkg/../.suture/runs/x", "sitecustomize.py",
])
def test_protected_paths_are_refused_in_every_spelling(repo, path):
    before = tree_bytes(repo)
    result = one(repo, CreateFile(path, "on: push\n"))
    assert result.status in (S.PROTECTED_PATH, S.OUTSIDE_REPO), result
    assert tree_bytes(repo) == before
    assert not (repo / ".github").exists() and not (repo / "pytest.ini").exists()


def test_a_symlinked_directory_to_a_protected_place_is_refused(repo):
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "pkg" / "flows").symlink_to("../.github/workflows")
    before = tree_bytes(repo)
    result = one(repo, CreateFile("pkg/flows/x.yml", "on: push\n"))
    assert result.status is S.PROTECTED_PATH and "symbolic link" in result.message
    assert tree_bytes(repo) == before and not (repo / ".github/workflows/x.yml").exists()


def test_allow_paths_open_a_protected_file_but_never_git(repo):
    result = one(repo, CreateFile("./.github/workflows/x.yml", "on: push\n"), allow_paths=[".github/*"])
    assert result.status is S.APPLIED and (repo / ".github/workflows/x.yml").exists()
    assert one(repo, CreateFile(".git/hooks/pre-commit", "x"), allow_paths=["*"]).status is S.OUTSIDE_REPO


def test_edits_over_the_size_caps_are_refused_before_any_parse(repo, monkeypatch):
    import suture.tools.edits as edits_module

    def never(*args, **kwargs):
        raise AssertionError("a refused edit must not reach the parser")

    monkeypatch.setattr(edits_module, "count_syntax_errors", never)
    monkeypatch.setattr(edits_module, "_compile_error", never)
    before = tree_bytes(repo)
    big = "x = 1\n" * (edits_module.MAX_EDIT_BYTES // 6 + 1)
    result = one(repo, CreateFile("pkg/big.py", big))
    assert result.status is S.TOO_LARGE and "limit" in result.message
    # Several edits each under the cap but over the patch cap together.
    part = "y = 2\n" * (edits_module.MAX_EDIT_BYTES // 6 - 10)
    many = [CreateFile(f"pkg/part{i}.py", part) for i in range(edits_module.MAX_PATCH_BYTES // len(part) + 1)]
    results = apply_edits(repo, many)
    assert all(r.status is S.TOO_LARGE for r in results)
    assert tree_bytes(repo) == before
