from wordfreq import word_counts


def test_counts_lowercase_words():
    assert word_counts("cat dog cat") == {"cat": 2, "dog": 1}


def test_punctuation_stripped():
    assert word_counts("cat, cat. dog!") == {"cat": 2, "dog": 1}


def test_lowercase_stopwords_skipped():
    assert word_counts("the cat and the hat") == {"cat": 1, "hat": 1}


def test_capitalised_stopwords_skipped():
    assert word_counts("The Cat sat. The end") == {"cat": 1, "sat": 1, "end": 1}
