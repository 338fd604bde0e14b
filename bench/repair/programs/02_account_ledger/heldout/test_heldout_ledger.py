import pytest

from ledger import Account


def test_mixed_sequence_of_operations():
    acct = Account("bo")
    acct.deposit(40)
    acct.withdraw(15)
    acct.deposit(5)
    acct.withdraw(30)
    assert acct.balance == 0


def test_withdraw_entire_balance_then_overdraft():
    acct = Account("cy", 25)
    acct.withdraw(25)
    assert acct.balance == 0
    with pytest.raises(ValueError):
        acct.withdraw(1)


def test_statement_after_withdrawal():
    acct = Account("bo", 40)
    acct.withdraw(15)
    assert acct.statement() == "bo: 25"


def test_non_positive_withdrawal_rejected():
    acct = Account("di", 10)
    with pytest.raises(ValueError):
        acct.withdraw(0)
    assert acct.balance == 10
