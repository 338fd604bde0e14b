from stats import mean, summary, variance


def test_mean_of_empty_list():
    assert mean([]) == 0.0


def test_mean_of_empty_tuple():
    assert mean(()) == 0.0


def test_variance_of_empty_list():
    assert variance([]) == 0.0


def test_single_value():
    assert mean([7]) == 7.0
    assert variance([7]) == 0.0


def test_summary_constant_values():
    assert summary([5, 5]) == {"mean": 5.0, "variance": 0.0, "count": 2}
