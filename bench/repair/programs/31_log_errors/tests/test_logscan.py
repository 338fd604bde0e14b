from logscan import error_lines, level_counts


def test_no_errors():
    assert error_lines("INFO ok\nWARN hmm") == []


def test_single_error():
    assert error_lines("INFO start\nERROR boom") == [2]


def test_level_counts():
    assert level_counts("INFO a\nERROR b\nINFO c") == {"INFO": 2, "ERROR": 1}


def test_all_error_lines_reported():
    assert error_lines("ERROR a\nINFO b\nERROR c") == [1, 3]
