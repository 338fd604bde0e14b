from matrix import total


def test_empty_matrix():
    assert total([]) == 0


def test_three_by_three():
    assert total([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == 45


def test_ragged_with_negatives():
    assert total([[5], [-1, 1]]) == 5


def test_floats():
    assert total([[0.5], [0.25]]) == 0.75
