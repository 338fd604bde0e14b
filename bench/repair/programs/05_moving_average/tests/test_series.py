import pytest

from series import moving_average


def test_window_longer_than_series_gives_nothing():
    assert moving_average([1, 2], 3) == []


def test_non_positive_window_rejected():
    with pytest.raises(ValueError):
        moving_average([1, 2, 3], 0)


def test_pairs_average():
    assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]


def test_window_equal_to_length():
    assert moving_average([2, 4, 6], 3) == [4.0]
