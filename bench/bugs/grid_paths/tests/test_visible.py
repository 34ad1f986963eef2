from maze import parse, shortest_path


def test_same_cell():
    assert shortest_path(parse("..\n.."), (0, 0), (0, 0)) == 0


def test_vertical():
    assert shortest_path(parse(".\n.\n."), (0, 0), (2, 0)) == 2


def test_walled_off():
    assert shortest_path(parse(".#\n#."), (0, 0), (1, 1)) is None


def test_horizontal():
    assert shortest_path(parse("...."), (0, 0), (0, 3)) == 3


def test_parse():
    assert parse("\n.#\n..\n") == [[".", "#"], [".", "."]]
