from volume import clamp, scale_brightness, set_volume


def test_exact_limits():
    assert set_volume(100) == 100
    assert set_volume(0) == 0


def test_just_above_max():
    assert set_volume(101) == 100


def test_brightness_scaling():
    assert scale_brightness(512, 1024) == 50
    assert scale_brightness(2000, 1000) == 100


def test_clamp_inside():
    assert clamp(2, 0, 10) == 2
