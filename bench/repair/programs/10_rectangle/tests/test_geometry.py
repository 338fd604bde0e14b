import pytest

from geometry import Rectangle


def test_area():
    assert Rectangle(0, 0, 3, 4).area() == 12


def test_perimeter():
    assert Rectangle(0, 0, 3, 4).perimeter() == 14


def test_point_inside_square():
    assert Rectangle(0, 0, 5, 5).contains_point(2, 3)


def test_point_near_top_of_tall_rectangle():
    assert Rectangle(0, 0, 2, 10).contains_point(1, 8) is True


def test_negative_size_rejected():
    with pytest.raises(ValueError):
        Rectangle(0, 0, -1, 2)
