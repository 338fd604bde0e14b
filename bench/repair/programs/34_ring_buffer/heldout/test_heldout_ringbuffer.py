from ringbuffer import RingBuffer


def test_capacity_one():
    buf = RingBuffer(1)
    for n in (1, 2, 3):
        buf.push(n)
    assert buf.items() == [3]


def test_many_wraps():
    buf = RingBuffer(3)
    for n in range(1, 8):
        buf.push(n)
    assert buf.items() == [5, 6, 7]
    assert buf.size == 3


def test_exactly_full():
    buf = RingBuffer(3)
    for n in (1, 2, 3):
        buf.push(n)
    assert buf.items() == [1, 2, 3]


def test_two_full_cycles_plus_one():
    buf = RingBuffer(4)
    for n in range(9):
        buf.push(n)
    assert buf.items() == [5, 6, 7, 8]
