from snippets import first_words, snippet


def test_first_word_only():
    assert first_words("alpha beta", 1) == "alpha"


def test_zero_words():
    assert first_words("x y", 0) == ""


def test_more_words_than_available():
    assert first_words("x y", 5) == "x y"


def test_snippet_of_four():
    assert snippet("a b c d e f", 4) == "a b c d ..."


def test_snippet_collapses_whitespace():
    assert snippet("a  b   c", 3) == "a b c"
