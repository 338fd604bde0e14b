"""Temperature conversion utilities."""


def c_to_f(celsius):
    return celsius * 9 / 5 + 32


def f_to_c(fahrenheit):
    return (fahrenheit - 32) * 5 / 9


def convert(value, from_unit, to_unit):
    """Convert between 'C', 'F' and 'K'."""
    if from_unit == to_unit:
        return value
    if from_unit == "F":
        celsius = f_to_c(value)
    elif from_unit == "K":
        celsius = value - 273.15
    else:
        celsius = value
    if to_unit == "F":
        return c_to_f(value)
    if to_unit == "K":
        return celsius + 273.15
    return celsius
