from savings import compound_interest, simple_interest, total_contributions


def test_simple_interest():
    assert simple_interest(1000, 0.05, 2) == 1100.0


def test_total_contributions():
    assert total_contributions(100, 2) == 2400


def test_compound_interest_two_years():
    assert compound_interest(1000, 0.05, 2) == 1102.5
