from search import binary_search


def test_finds_middle_element():
    assert binary_search([1, 3, 5, 7, 9], 5) == 2


def test_finds_first_element():
    assert binary_search([1, 3, 5, 7, 9], 1) == 0


def test_missing_small_value():
    assert binary_search([1, 3, 5], 0) == -1


def test_value_larger_than_all_is_missing():
    assert binary_search([1, 3, 5, 7], 10) == -1
