"""File-name helpers that do not touch the file system."""


def split_ext(name):
    """("archive.tar", ".gz") for "archive.tar.gz"; dot-files like ".bashrc" have no extension."""
    base = name.rsplit("/", 1)[-1]
    dot = base.find(".")
    if dot <= 0:
        return name, ""
    cut = len(name) - len(base) + dot
    return name[:cut], name[cut:]


def change_ext(name, ext):
    stem, _ = split_ext(name)
    return stem + ext


def has_ext(name, *exts):
    return split_ext(name)[1].lower() in {e.lower() for e in exts}
