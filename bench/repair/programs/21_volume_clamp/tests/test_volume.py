from volume import clamp, set_volume


def test_volume_in_range_unchanged():
    assert set_volume(50) == 50


def test_negative_volume_becomes_zero():
    assert set_volume(-5) == 0


def test_clamp_upper():
    assert clamp(5, 1, 3) == 3


def test_volume_above_max_is_capped():
    assert set_volume(150) == 100
