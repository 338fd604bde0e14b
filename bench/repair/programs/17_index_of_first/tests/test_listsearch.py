from listsearch import find_first, index_of_first


def is_even(n):
    return n % 2 == 0


def test_find_first():
    assert find_first([1, 4, 6], is_even) == 4


def test_find_first_no_match():
    assert find_first([1, 3], is_even) is None


def test_index_of_first_no_match():
    assert index_of_first([1, 3], is_even) == -1


def test_index_of_first_even():
    assert index_of_first([5, 8, 11], is_even) == 1
