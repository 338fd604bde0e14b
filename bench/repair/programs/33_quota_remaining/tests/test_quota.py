from quota import Quota


def test_fresh_quota():
    assert Quota(100).remaining() == 100


def test_remaining_after_use():
    q = Quota(100)
    q.consume(30)
    assert q.remaining() == 70


def test_over_limit_flag():
    q = Quota(100)
    q.consume(120)
    assert q.over_limit()


def test_remaining_after_exceeding_limit():
    q = Quota(100)
    q.consume(120)
    assert q.remaining() == 0
