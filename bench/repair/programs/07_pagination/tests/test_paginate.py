import pytest

from paginate import get_page, page_count


def test_partial_last_page_counted():
    assert page_count(11, 5) == 3


def test_exact_multiple_of_page_size():
    assert page_count(10, 5) == 2


def test_first_page():
    assert get_page(list(range(10)), 1, 4) == [0, 1, 2, 3]


def test_zero_page_size_rejected():
    with pytest.raises(ValueError):
        page_count(10, 0)


def test_page_past_end_is_empty():
    assert get_page(list(range(10)), 4, 5) == []
