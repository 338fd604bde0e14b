"""Savings calculators."""


def simple_interest(principal, rate, years):
    """Balance after `years` of simple (non-compounding) interest."""
    return round(principal * (1 + rate * years), 2)


def compound_interest(principal, rate, years, periods_per_year=1):
    """Balance after compounding `periods_per_year` times a year."""
    periodic_rate = rate / periods_per_year
    periods = years * periods_per_year
    return round(principal * pow(1 + periodic_rate, periods), 2)


def total_contributions(monthly, years):
    return monthly * 12 * years
