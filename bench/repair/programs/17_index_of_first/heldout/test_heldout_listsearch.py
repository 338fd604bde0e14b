from listsearch import index_of_first


def test_strings_by_length():
    assert index_of_first(["a", "bb", "ccc"], lambda s: len(s) > 2) == 2


def test_empty_list():
    assert index_of_first([], lambda x: True) == -1


def test_threshold():
    assert index_of_first([10, 20, 30], lambda x: x > 15) == 1


def test_repeated_values_first_index():
    assert index_of_first([7, 7, 7], lambda x: x == 7) == 0
