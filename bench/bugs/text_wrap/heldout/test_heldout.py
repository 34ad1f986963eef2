from wrap import wrap


def test_every_width():
    text = "the quick brown fox jumps over the lazy dog"
    for width in range(3, 50):
        lines = wrap(text, width)
        assert " ".join(lines) == text
        assert all(len(l) <= width or " " not in l for l in lines)
        # greedy: the next word never fits on the previous line
        for a, b in zip(lines, lines[1:]):
            assert len(a) + 1 + len(b.split()[0]) > width


def test_long_word():
    assert wrap("supercalifragilistic is long", 6) == ["supercalifragilistic", "is", "long"]
