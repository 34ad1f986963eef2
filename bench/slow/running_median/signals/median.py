"""Signal smoothing."""


def running_medians(samples: list[int], width: int) -> list[int]:
    """The lower median of each full window of `width` consecutive samples (width >= 1)."""
    out = []
    for end in range(width, len(samples) + 1):
        window = sorted(samples[end - width:end])
        out.append(window[(width - 1) // 2])
    return out
