from quota import Quota


def test_exactly_at_limit():
    q = Quota(50)
    q.consume(50)
    assert q.remaining() == 0
    assert not q.over_limit()


def test_zero_limit():
    q = Quota(0)
    assert q.remaining() == 0
    q.consume(5)
    assert q.remaining() == 0


def test_several_consumptions():
    q = Quota(100)
    q.consume(40)
    q.consume(40)
    assert q.remaining() == 20


def test_far_over_limit():
    q = Quota(10)
    q.consume(1000)
    assert q.remaining() == 0
