from users import User, active_admins, inactive_names


def test_active_admins():
    users = [User("zed", roles=["admin"]), User("ana", active=False, roles=["admin"]),
             User("bo", roles=["admin", "dev"]), User("cy")]
    assert active_admins(users) == ["bo", "zed"]


def test_active_admins_empty():
    assert active_admins([]) == []


def test_inactive_names_empty():
    assert inactive_names([]) == []


def test_inactive_names_lists_departed_users():
    users = [User("a"), User("b", active=False)]
    assert inactive_names(users) == ["b"]
