import pytest

from collatz import collatz_steps, longest_chain, steps_table


def test_small_odd_numbers():
    assert collatz_steps(3) == 7
    assert collatz_steps(5) == 5
    assert collatz_steps(11) == 14


def test_even_non_power_of_two():
    assert collatz_steps(6) == 8


def test_long_chain_for_27():
    assert collatz_steps(27) == 111


def test_large_power_of_two():
    assert collatz_steps(1024) == 10


def test_negative_rejected():
    with pytest.raises(ValueError):
        collatz_steps(-4)


def test_steps_table_mixed():
    assert steps_table([3, 12, 19]) == {3: 7, 12: 9, 19: 20}


def test_longest_chain_up_to_hundred():
    assert longest_chain(100) == (97, 118)


def test_longest_chain_trivial_limit():
    assert longest_chain(1) == (1, 0)
