import pytest

from collatz import collatz_steps, longest_chain, steps_table


def test_one_takes_no_steps():
    assert collatz_steps(1) == 0


def test_power_of_two_only_halves():
    assert collatz_steps(16) == 4


def test_non_positive_rejected():
    with pytest.raises(ValueError):
        collatz_steps(0)


def test_table_of_small_numbers():
    assert steps_table([1, 2, 8]) == {1: 0, 2: 1, 8: 3}


def test_steps_for_seven():
    assert collatz_steps(7) == 16


def test_longest_chain_up_to_ten():
    assert longest_chain(10) == (9, 19)
