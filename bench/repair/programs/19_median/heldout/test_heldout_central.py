from central import median


def test_two_values():
    assert median([1, 2]) == 1.5


def test_six_values_unsorted():
    assert median([60, 10, 50, 20, 40, 30]) == 35.0


def test_negative_odd():
    assert median([-5, -1, -3]) == -3


def test_single_value():
    assert median([7]) == 7


def test_tuple_input():
    assert median((2, 2, 4, 4)) == 3.0
