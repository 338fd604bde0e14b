import pytest

from temperature import convert


def test_boiling_kelvin_to_fahrenheit():
    assert convert(373.15, "K", "F") == pytest.approx(212)


def test_fahrenheit_to_kelvin():
    assert convert(32, "F", "K") == pytest.approx(273.15)


def test_kelvin_celsius_round_trip():
    assert convert(0, "K", "C") == pytest.approx(-273.15)
    assert convert(-273.15, "C", "K") == pytest.approx(0)


def test_freezing_celsius_to_fahrenheit():
    assert convert(0, "C", "F") == pytest.approx(32)
