from sentences import sentence_count, split_sentences


def test_empty_text_is_a_list():
    assert isinstance(split_sentences(""), list)


def test_empty_result_can_be_extended():
    assert split_sentences("") + ["x"] == ["x"]


def test_whitespace_only():
    assert split_sentences("\n\t") == []


def test_mixed_terminators():
    assert split_sentences("One. Two? Three") == ["One.", "Two?", "Three"]


def test_count():
    assert sentence_count("A. B. C.") == 3
