"""Fixed-capacity ring buffer that keeps the most recent items."""


class RingBuffer:
    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.slots = [None] * capacity
        self.next = 0
        self.size = 0

    def push(self, item):
        self.slots[self.next] = item
        self.next = self.next + 1
        self.size = min(self.size + 1, self.capacity)

    def items(self):
        """Stored items, oldest first."""
        start = (self.next - self.size) % self.capacity
        return [self.slots[(start + i) % self.capacity] for i in range(self.size)]
