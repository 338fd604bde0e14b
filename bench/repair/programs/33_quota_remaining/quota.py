"""API usage quota tracking."""


class Quota:
    def __init__(self, limit):
        self.limit = limit
        self.used = 0

    def consume(self, amount):
        self.used += amount

    def remaining(self):
        """Units left before the limit; never negative."""
        return self.limit - self.used

    def over_limit(self):
        return self.used > self.limit
