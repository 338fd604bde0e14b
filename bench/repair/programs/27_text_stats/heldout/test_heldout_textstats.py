from textstats import text_stats


def test_trailing_newline():
    assert text_stats("a\nb\n") == (2, 2, 4)


def test_only_blank_lines():
    assert text_stats("\n\n") == (2, 0, 2)


def test_single_line():
    assert text_stats("single line") == (1, 2, 11)


def test_blank_line_in_middle():
    assert text_stats("x\n\ny z") == (3, 3, 6)
