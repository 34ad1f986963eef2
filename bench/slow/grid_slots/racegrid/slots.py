"""Race grid."""


def grid_slots(drivers: list[str], grid: list[str]) -> list[int]:
    """The grid slot (first place in the grid list) of each driver, in the drivers' order."""
    return [grid.index(name) for name in drivers]
