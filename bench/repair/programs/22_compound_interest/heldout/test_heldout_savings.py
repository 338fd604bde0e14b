import pytest

from savings import compound_interest


def test_quarterly_compounding():
    assert compound_interest(1000, 0.04, 1, 4) == pytest.approx(1040.6)


def test_zero_years_keeps_principal():
    assert compound_interest(500, 0.1, 0) == 500.0


def test_ten_years():
    assert compound_interest(2000, 0.03, 10) == pytest.approx(2687.83)


def test_monthly_compounding():
    assert compound_interest(100, 0.12, 1, 12) == pytest.approx(112.68)
