"""Prime-numbered shard ids."""


def primes_below(n: int) -> list[int]:
    """All primes p < n."""
    primes = []
    for candidate in range(2, n):
        is_prime = True
        for d in range(2, candidate):
            if candidate % d == 0:
                is_prime = False
                break
        if is_prime:
            primes.append(candidate)
    return primes
