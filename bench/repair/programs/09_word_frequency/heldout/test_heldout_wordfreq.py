from wordfreq import top_words, word_counts


def test_title_case_stopwords():
    assert word_counts("Of mice and Men") == {"mice": 1, "men": 1}


def test_bracketed_stopword():
    assert word_counts("(The) end.") == {"end": 1}


def test_stopwords_kept_when_not_skipping():
    assert word_counts("The cat", skip_stopwords=False) == {"the": 1, "cat": 1}


def test_top_words_ignores_stopwords():
    assert top_words("An apple. An apple a day", 1) == ["apple"]


def test_empty_text():
    assert word_counts("") == {}
