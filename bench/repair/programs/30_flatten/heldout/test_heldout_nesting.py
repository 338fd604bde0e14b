from nesting import flatten


def test_deep_mixed_nesting():
    assert flatten([[[1]], 2, (3, [4])]) == [1, 2, 3, 4]


def test_empty_sublists():
    assert flatten([[], [[]]]) == []


def test_empty():
    assert flatten([]) == []


def test_strings_are_not_split():
    assert flatten(["ab", ["cd"]]) == ["ab", "cd"]
