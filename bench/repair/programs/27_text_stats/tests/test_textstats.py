from textstats import longest_line, text_stats


def test_empty_text():
    assert text_stats("") == (0, 0, 0)


def test_counts_words():
    assert text_stats("one two\nthree")[1] == 3


def test_counts_characters():
    assert text_stats("a b")[2] == 3


def test_longest_line():
    assert longest_line("ab\nabcd\n") == 4


def test_counts_lines():
    assert text_stats("one two\nthree")[0] == 2
