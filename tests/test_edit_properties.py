"""Property tests for apply_edits on real files: edits revert byte for byte, rejected edits change nothing."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from suture.tools.edits import CreateFile, DeleteFile, Edit, EditStatus, apply_edits

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# A small vocabulary so that repeated lines (ambiguity), indentation shifts and blank lines all happen.
INDENTS = ["", "    ", "        ", "\t"]
BODIES = ["x = 1", "y = x + 1", "return x", "pass", "if x:", "", "# note", "café = 'é'", "z = [1,  2]"]
line = st.builds(lambda indent, body: indent + body if body else "", st.sampled_from(INDENTS), st.sampled_from(BODIES))
lines = st.lists(line, min_size=1, max_size=12)


@st.composite
def text_file(draw):
    """Bytes of a text file in one of the shapes edits must keep: LF/CRLF, BOM, final newline or not."""
    body = draw(lines)
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.booleans())
    final_newline = draw(st.booleans())
    text = eol.join(body) + (eol if final_newline else "")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    return data, body


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    } | {p.relative_to(root).as_posix() + "/": (b"", 0) for p in root.rglob("*") if p.is_dir()}


@st.composite
def line_edit(draw, body: list[str]):
    """An edit whose SEARCH is a run of the file's own lines and whose REPLACE is new lines."""
    start = draw(st.integers(0, len(body) - 1))
    length = draw(st.integers(1, min(4, len(body) - start)))
    search = "".join(text + "\n" for text in body[start : start + length])
    replace = "".join(text + "\n" for text in draw(st.lists(line, min_size=1, max_size=4)))
    return search, replace


@st.composite
def fragment_edit(draw, body: list[str]):
    """An edit of a fragment inside one line (no newline), as the rule engine makes them."""
    source = draw(st.sampled_from([text for text in body if text] or ["x"]))
    start = draw(st.integers(0, len(source) - 1))
    end = draw(st.integers(start + 1, len(source)))
    replace = draw(st.text(alphabet="xyz=+() é", min_size=1, max_size=6))
    return source[start:end], replace


@SETTINGS
@given(data=st.data(), file=text_file(), mode=st.sampled_from([0o644, 0o755, 0o600]))
def test_applying_then_reverting_an_edit_round_trips_byte_for_byte(data, file, mode):
    original, body = file
    kind = data.draw(st.sampled_from([line_edit, fragment_edit]))
    search, replace = data.draw(kind(body))
    # A file without a final newline cannot hold a trailing blank line: a REPLACE ending in one there
    # turns it into the final newline, and no edit can tell the two apart afterwards.
    assume(original.endswith(b"\n") or not replace.endswith("\n\n") and replace != "\n")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        target = root / "pkg" / "notes.txt"
        target.parent.mkdir()
        target.write_bytes(original)
        os.chmod(target, mode)

        [forward] = apply_edits(root, [Edit("pkg/notes.txt", search, replace)])
        assume(forward.status is EditStatus.APPLIED)
        # A file left without any line break has no line ending to remember (CRLF or LF) for the way back.
        assume(b"\n" in target.read_bytes() or b"\n" not in original)
        [back] = apply_edits(root, [Edit("pkg/notes.txt", replace, search)])
        # Reverting needs the REPLACE text to be unique in the edited file; the vocabulary makes it often not.
        assume(back.status is EditStatus.APPLIED)

        assert target.read_bytes() == original
        assert stat.S_IMODE(target.stat().st_mode) == mode


PYTHON = "def f(x):\n    if x:\n        return 1\n    return 2\n"
JS = "function f(x) {\n  return x + 1;\n}\n"
FILES: dict[str, bytes] = {
    "pkg/mod.py": PYTHON.encode(),
    "pkg/app.js": JS.encode(),
    "pkg/notes.txt": b"\xef\xbb\xbfalpha\r\nbeta\r\nbeta\r\n",
    "tests/test_mod.py": b"def test_f():\n    assert True\n",
}
PATHS = [*FILES, "pkg/missing.py", "../outside.py", "/abs.py", ".git/config", "pkg/new.py"]
SEARCHES = ["    return 2\n", "  return x + 1;\n", "beta\n", "alpha\n", "        return 1\n", "return", "nope\n", ""]
REPLACES = [
    "    return 3\n", "    return (3\n", "  return x + 2;\n", "  return (x;\n", "gamma\n", "return", "", "beta\n"
]

edit = st.one_of(
    st.builds(Edit, st.sampled_from(PATHS), st.sampled_from(SEARCHES), st.sampled_from(REPLACES)),
    st.builds(CreateFile, st.sampled_from(PATHS), st.sampled_from(["X = 1\n", "def g(:\n"])),
    st.builds(DeleteFile, st.sampled_from(PATHS)),
)


@SETTINGS
@given(batches=st.lists(st.lists(edit, min_size=1, max_size=4), min_size=1, max_size=5))
def test_no_sequence_of_rejected_edits_changes_a_file(batches):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / ".git" / "config").write_text("[core]\n")
        for rel, content in FILES.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(content)
        os.chmod(root / "pkg/mod.py", 0o755)
        before = snapshot(root)
        for batch in batches:
            results = apply_edits(root, batch)
            assert len(results) == len(batch)
            if all(result.status is EditStatus.APPLIED for result in results):
                before = snapshot(root)  # an accepted batch is the new baseline
            else:
                assert snapshot(root) == before, [r.status for r in results]
