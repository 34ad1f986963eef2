"""Club membership roster."""


def active_names(members: list[tuple[str, bool]]) -> list[str]:
    """Names of the members whose membership is active, in roster order."""
    names = []
    for name, active in members:
        if active:
            names.append(name)
    return names
