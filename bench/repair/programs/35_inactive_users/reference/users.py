"""User directory filtering."""


class User:
    def __init__(self, name, active=True, roles=()):
        self.name = name
        self.active = active
        self.roles = set(roles)


def active_admins(users):
    """Names of active users holding the 'admin' role, sorted."""
    return sorted(u.name for u in users if u.active and "admin" in u.roles)


def inactive_names(users):
    """Names of users that are not active, in input order."""
    names = []
    for user in users:
        if not user.active:
            names.append(user.name)
    return names
