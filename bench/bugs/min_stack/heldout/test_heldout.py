from minstack import MinStack


def test_peek_after_emptying():
    s = MinStack()
    s.push(1)
    s.pop()
    assert s.peek() is None and s.minimum() is None


def test_peek():
    s = MinStack()
    s.push(4)
    s.push(9)
    assert s.peek() == 9
