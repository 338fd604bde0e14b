from series import moving_average


def test_window_of_one_copies_values():
    assert moving_average([5, 7], 1) == [5.0, 7.0]


def test_window_of_three():
    assert moving_average([2, 4, 6, 8, 10], 3) == [4.0, 6.0, 8.0]


def test_empty_series():
    assert moving_average([], 1) == []


def test_number_of_windows():
    assert len(moving_average(list(range(10)), 4)) == 7
