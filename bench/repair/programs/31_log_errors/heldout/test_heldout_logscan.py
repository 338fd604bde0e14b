from logscan import error_lines


def test_many_errors():
    log = "\n".join("ERROR e%d" % i for i in range(5))
    assert error_lines(log) == [1, 2, 3, 4, 5]


def test_blank_lines_keep_numbering():
    assert error_lines("\nERROR x\n\nERROR y") == [2, 4]


def test_similar_levels_not_counted():
    assert error_lines("ERRORS x\nerror y\nERROR z") == [3]


def test_empty_log():
    assert error_lines("") == []
