"""Media library scanning."""


def image_files(paths: list[str]) -> list[str]:
    """The paths whose extension (case-insensitive) is an image format."""
    out = []
    for p in paths:
        ext = p[p.rfind("."):].lower() if "." in p else ""
        if ext in [".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tiff", ".webp", ".svg", ".ico", ".heic"]:
            out.append(p)
    return out
