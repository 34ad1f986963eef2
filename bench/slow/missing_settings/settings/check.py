"""Start-up configuration checks."""


def missing_settings(settings: dict[str, str], required: list[str]) -> list[str]:
    """The required keys that settings lacks, in order."""
    return [key for key in required if key not in settings.keys()]
