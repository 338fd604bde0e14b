from totals import first_over, running_totals


def test_negative_amounts():
    assert running_totals([10, -3, -7]) == [10, 7, 0]


def test_single_amount():
    assert running_totals([4]) == [4]


def test_fractional_amounts():
    assert running_totals([0.5, 0.25]) == [0.5, 0.75]


def test_first_over_later_index():
    assert first_over([1, 1, 1, 1], 2) == 2


def test_first_over_empty():
    assert first_over([], 0) == -1
