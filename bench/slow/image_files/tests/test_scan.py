from media.scan import image_files


def test_picks_images():
    assert image_files(["a.JPG", "b.txt", "c", "d.tar.png"]) == ["a.JPG", "d.tar.png"]


def test_empty():
    assert image_files([]) == []
