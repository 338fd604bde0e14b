from search import binary_search, contains


def test_empty_list():
    assert binary_search([], 3) == -1


def test_every_element_found():
    items = list(range(0, 20, 2))
    for index, value in enumerate(items):
        assert binary_search(items, value) == index


def test_single_element_miss_above():
    assert binary_search([5], 6) == -1


def test_contains_absent_large():
    assert not contains([2, 4, 6, 8], 9)
    assert contains([2, 4, 6, 8], 8)
