import pytest

from ringbuffer import RingBuffer


def test_items_below_capacity():
    buf = RingBuffer(3)
    buf.push("a")
    buf.push("b")
    assert buf.items() == ["a", "b"]


def test_size_counts_pushes():
    buf = RingBuffer(3)
    buf.push(1)
    assert buf.size == 1


def test_zero_capacity_rejected():
    with pytest.raises(ValueError):
        RingBuffer(0)


def test_oldest_item_dropped_when_full():
    buf = RingBuffer(3)
    for n in (1, 2, 3, 4):
        buf.push(n)
    assert buf.items() == [2, 3, 4]
