from totals import first_over, running_totals


def test_empty():
    assert running_totals([]) == []


def test_limit_never_exceeded():
    assert first_over([1, 2], 10) == -1


def test_running_totals():
    assert running_totals([3, 4, 5]) == [3, 7, 12]


def test_first_over_limit():
    assert first_over([5, 5, 5], 8) == 1
