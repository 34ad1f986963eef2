from paths import change_ext, has_ext, split_ext


def test_simple():
    assert split_ext("notes.txt") == ("notes", ".txt")


def test_no_ext():
    assert split_ext("Makefile") == ("Makefile", "")


def test_dotfile():
    assert split_ext(".bashrc") == (".bashrc", "")


def test_double_ext():
    assert split_ext("backup.tar.gz") == ("backup.tar", ".gz")
