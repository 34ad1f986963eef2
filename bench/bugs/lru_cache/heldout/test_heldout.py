from lru import LRUCache


def test_counts():
    c = LRUCache(1)
    c.get("x")
    c.put("x", 1)
    c.get("x")
    assert (c.hits, c.misses) == (1, 1)


def test_against_model():
    c, model = LRUCache(3), []
    ops = [("p", k) for k in "abcd"] + [("g", "b"), ("p", "e"), ("g", "c"), ("p", "f"), ("g", "b"), ("p", "a")]
    for op, k in ops:
        if op == "p":
            c.put(k, k.upper())
            if k in model:
                model.remove(k)
            model.append(k)
            model = model[-3:]
        else:
            got = c.get(k)
            assert got == (k.upper() if k in model else None)
            if k in model:
                model.remove(k)
                model.append(k)
    assert sorted(model) == sorted(k for k in "abcdef" if k in c)


def test_put_existing_refreshes():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.put("a", 10)
    c.put("c", 3)
    assert c.get("a") == 10 and "b" not in c
