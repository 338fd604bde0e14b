import pytest

from temperature import convert


def test_celsius_to_fahrenheit():
    assert convert(100, "C", "F") == 212


def test_fahrenheit_to_celsius():
    assert convert(212, "F", "C") == 100


def test_same_unit_is_identity():
    assert convert(42, "K", "K") == 42


def test_kelvin_to_fahrenheit():
    assert convert(273.15, "K", "F") == pytest.approx(32)
