"""Appointment slots for the booking calendar, in minutes after midnight."""


def to_minutes(hhmm):
    """'09:30' -> 570."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def format_hhmm(minutes):
    """570 -> '09:30'."""
    return "%02d:%02d" % divmod(minutes, 60)


def time_slots(start, end, step):
    """Slot start times from `start` every `step` minutes, before `end`.

    A slot may start at any time strictly before `end`.
    """
    if step <= 0:
        raise ValueError("step must be positive: %r" % step)
    slots = []
    t = start
    while t != end:
        slots.append(t)
        t += step
    return slots


def slot_labels(opening, closing, step):
    """Human-readable slot labels: slot_labels('09:00', '10:00', 30) -> ['09:00', '09:30']."""
    start, end = to_minutes(opening), to_minutes(closing)
    return [format_hhmm(t) for t in time_slots(start, end, step)]
