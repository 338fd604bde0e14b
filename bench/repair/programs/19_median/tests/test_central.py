import pytest

from central import median, midrange


def test_odd_length():
    assert median([3, 1, 2]) == 2


def test_empty_rejected():
    with pytest.raises(ValueError):
        median([])


def test_midrange():
    assert midrange([1, 9, 4]) == 5


def test_even_length():
    assert median([4, 1, 3, 2]) == 2.5
