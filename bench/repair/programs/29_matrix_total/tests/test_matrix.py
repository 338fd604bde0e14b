from matrix import column_sums, row_sums, total


def test_row_sums():
    assert row_sums([[1, 2], [3, 4]]) == [3, 7]


def test_column_sums():
    assert column_sums([[1, 2], [3, 4]]) == [4, 6]


def test_total_single_row():
    assert total([[1, 2, 3]]) == 6


def test_total_two_rows():
    assert total([[1, 2], [3, 4]]) == 10
