"""Small numeric helpers."""


def squares_of_evens(numbers: list[int]) -> list[int]:
    out = []
    for n in numbers:
        if n % 2 == 0:
            out.append(n * n)
    return out
