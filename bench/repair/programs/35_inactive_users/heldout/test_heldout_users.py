from users import User, inactive_names


def test_everyone_inactive_in_order():
    users = [User("z", active=False), User("a", active=False)]
    assert inactive_names(users) == ["z", "a"]


def test_everyone_active():
    assert inactive_names([User("x"), User("y")]) == []


def test_mixed_directory():
    users = [User("p", active=False), User("q"), User("r", active=False), User("s")]
    assert inactive_names(users) == ["p", "r"]
