from sentences import sentence_count, split_sentences


def test_two_sentences():
    assert split_sentences("Hi. Bye!") == ["Hi.", "Bye!"]


def test_count_of_empty_text():
    assert sentence_count("") == 0


def test_unterminated_sentence_kept():
    assert split_sentences("No end") == ["No end"]


def test_blank_text_gives_empty_list():
    assert split_sentences("   ") == []
