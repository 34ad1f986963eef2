"""Counting the ways to make change at the till."""


def ways_to_pay(amount: int, coins: tuple[int, ...]) -> int:
    """How many multisets of `coins` (positive values) add up to `amount`."""
    count = len(coins)

    def ways(rest, first):
        """Ways to pay `rest` with coins[first:]."""
        if rest == 0:
            return 1
        elif rest < 0 or first == count:
            return 0
        else:
            use = ways(rest - coins[first], first)
            skip = ways(rest, first + 1)
            return use + skip

    return ways(amount, 0)
