"""Axis-aligned rectangles."""


class Rectangle:
    def __init__(self, x, y, width, height):
        if width < 0 or height < 0:
            raise ValueError("negative size")
        self.x = x
        self.y = y
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.height

    def perimeter(self):
        return 2 * (self.width + self.height)

    def contains_point(self, px, py):
        return (self.x <= px <= self.x + self.width
                and self.y <= py <= self.y + self.width)

    def intersects(self, other):
        return not (other.x > self.x + self.width or other.x + other.width < self.x
                    or other.y > self.y + self.height or other.y + other.height < self.y)
