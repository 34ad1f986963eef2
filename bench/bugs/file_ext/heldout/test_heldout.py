from paths import change_ext, has_ext, split_ext


def test_dir_with_dot():
    assert split_ext("v1.2/readme") == ("v1.2/readme", "")
    assert split_ext("v1.2/a.b.c") == ("v1.2/a.b", ".c")


def test_change_and_has():
    assert change_ext("data.tar.gz", ".zip") == "data.tar.zip"
    assert has_ext("X.TAR.GZ", ".gz")
