from geometry import Rectangle


def test_point_above_wide_rectangle_is_outside():
    assert Rectangle(0, 0, 10, 2).contains_point(5, 5) is False


def test_top_right_corner_of_offset_rectangle():
    assert Rectangle(1, 1, 2, 3).contains_point(3, 4) is True


def test_point_left_of_rectangle():
    assert Rectangle(1, 1, 2, 3).contains_point(0, 2) is False


def test_intersects():
    a = Rectangle(0, 0, 4, 4)
    assert a.intersects(Rectangle(3, 3, 2, 2))
    assert not a.intersects(Rectangle(5, 0, 1, 1))
