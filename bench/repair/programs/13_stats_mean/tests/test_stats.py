from stats import mean, summary, variance


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_variance():
    assert variance([2, 4, 4, 4, 5, 5, 7, 9]) == 4.0


def test_summary_counts():
    assert summary([1, 2, 3])["count"] == 3


def test_summary_of_empty_list():
    assert summary([]) == {"mean": 0.0, "variance": 0.0, "count": 0}
