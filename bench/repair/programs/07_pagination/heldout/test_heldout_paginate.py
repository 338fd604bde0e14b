from paginate import get_page, page_count


def test_no_items_no_pages():
    assert page_count(0, 3) == 0


def test_single_item_one_page():
    assert page_count(1, 3) == 1


def test_other_exact_multiples():
    assert page_count(9, 3) == 3
    assert page_count(12, 4) == 3


def test_last_partial_page_contents():
    assert get_page(list(range(7)), 3, 3) == [6]


def test_empty_list_pages():
    assert get_page([], 1, 5) == []
