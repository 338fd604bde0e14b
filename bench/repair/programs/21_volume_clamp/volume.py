"""Volume and brightness controls for a media player."""


def clamp(value, low, high):
    """Limit value to the closed interval [low, high]."""
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(value, high))


def set_volume(level):
    """Volume is kept within 0..100."""
    return clamp(0, level, 100)


def scale_brightness(raw, max_raw):
    """Convert a raw sensor value to a 0..100 brightness percentage."""
    return clamp(raw * 100 // max_raw, 0, 100)
