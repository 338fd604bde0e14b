"""Collatz (3n + 1) stopping times for the number-puzzle page."""


def collatz_steps(n):
    """Number of steps for n to reach 1: halve even numbers, send odd n to 3n + 1."""
    if n < 1:
        raise ValueError("n must be a positive integer: %r" % n)
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n //= 2
        else:
            n = 3 * n - 1
        steps += 1
    return steps


def longest_chain(limit):
    """(start, steps) for the start in 1..limit with the most steps (smallest start on ties)."""
    best_start, best_steps = 1, 0
    for start in range(1, limit + 1):
        steps = collatz_steps(start)
        if steps > best_steps:
            best_start, best_steps = start, steps
    return best_start, best_steps


def steps_table(numbers):
    """Map each number to its stopping time."""
    return {n: collatz_steps(n) for n in numbers}
