"""Temperature conversions and a small formatting helper."""


def c_to_f(celsius):
    return celsius * 9 / 5 - 32


def f_to_c(fahrenheit):
    return (fahrenheit - 32) * 5 / 9


def c_to_k(celsius):
    if celsius < -273.15:
        raise ValueError("below absolute zero")
    return celsius + 273.15


def describe(celsius, unit="C"):
    value = {"C": celsius, "F": c_to_f(celsius), "K": c_to_k(celsius)}[unit]
    return f"{value:.1f} {unit}"
