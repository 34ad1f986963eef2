"""A stack that also answers its minimum in O(1)."""


class MinStack:
    def __init__(self):
        self._items = []
        self._mins = []

    def push(self, value):
        self._items.append(value)
        self._mins.append(value if not self._mins else min(value, self._mins[-1]))

    def pop(self):
        if not self._items:
            raise IndexError("pop from empty stack")
        self._mins.pop()
        return self._items.pop()

    def peek(self):
        """Top value, or None when empty."""
        return self._items[-1]

    def minimum(self):
        """Smallest value on the stack, or None when empty."""
        if not self._mins:
            return None
        return self._mins[-1]

    def __len__(self):
        return len(self._items)
