"""Splitting an amount of money into parts that add up exactly."""


def split_evenly(total_cents, parts):
    """`parts` amounts differing by at most one cent, larger ones first, summing to total_cents."""
    if parts < 1:
        raise ValueError("need at least one part")
    base, extra = divmod(total_cents, parts)
    return [base] * parts


def split_by_weights(total_cents, weights):
    """Proportional split; rounding leftovers go to the largest weights."""
    whole = sum(weights)
    shares = [total_cents * w // whole for w in weights]
    leftover = total_cents - sum(shares)
    for i in sorted(range(len(weights)), key=lambda i: -weights[i])[:leftover]:
        shares[i] += 1
    return shares
