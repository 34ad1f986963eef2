"""Fixed-width histograms."""


def bin_counts(values, lo, hi, bins):
    """Counts of `values` in `bins` equal bins over [lo, hi]; hi itself falls in the last bin."""
    if hi <= lo or bins < 1:
        raise ValueError("need hi > lo and at least one bin")
    width = (hi - lo) / bins
    counts = [0] * bins
    for x in values:
        if x < lo or x > hi:
            continue
        index = int((x - lo) / width)
        counts[min(index, bins)] += 1
    return counts


def render(counts, char="#"):
    return "\n".join(f"{i:>3} {char * c}" for i, c in enumerate(counts))
