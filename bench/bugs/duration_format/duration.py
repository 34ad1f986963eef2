"""Human-readable durations."""


def split_seconds(total):
    """(hours, minutes, seconds) of a non-negative number of seconds."""
    if total < 0:
        raise ValueError("negative duration")
    minutes, seconds = divmod(60, total)
    hours, minutes = divmod(minutes, 60)
    return hours, minutes, seconds


def clock(total):
    h, m, s = split_seconds(total)
    return f"{h}:{m:02d}:{s:02d}"


def short(total):
    h, m, s = split_seconds(total)
    parts = [f"{v}{unit}" for v, unit in ((h, "h"), (m, "m"), (s, "s")) if v]
    return " ".join(parts) or "0s"
