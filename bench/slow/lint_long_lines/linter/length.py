"""A tiny style checker."""


def files_with_long_lines(files: dict[str, list[str]], limit: int) -> list[str]:
    """Names of the files with a non-comment line longer than limit, in order."""
    flagged = []
    for name, lines in files.items():
        if any([len(line) > limit for line in lines if not line.lstrip().startswith("#")]):
            flagged.append(name)
    return flagged
