from snippets import first_words, last_words, snippet


def test_last_words():
    assert last_words("one two three four", 2) == "three four"


def test_last_words_zero():
    assert last_words("one two", 0) == ""


def test_short_text_snippet_unchanged():
    assert snippet("just two", 5) == "just two"


def test_first_words_takes_n_words():
    assert first_words("a b c d", 2) == "a b"


def test_long_text_snippet_is_cut_with_ellipsis():
    assert snippet("the quick brown fox jumps", 3) == "the quick brown ..."
