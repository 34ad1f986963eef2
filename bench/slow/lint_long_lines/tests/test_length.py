from linter.length import files_with_long_lines


def test_flags_long_code_lines_only():
    files = {"a.py": ["x = 1", "# " + "c" * 90], "b.py": ["y = " + "2" * 90]}
    assert files_with_long_lines(files, 79) == ["b.py"]


def test_no_files():
    assert files_with_long_lines({}, 79) == []
