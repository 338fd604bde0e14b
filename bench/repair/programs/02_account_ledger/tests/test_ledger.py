import pytest

from ledger import Account


def test_deposit_increases_balance():
    acct = Account("ana", 100)
    acct.deposit(50)
    assert acct.balance == 150


def test_withdraw_reduces_balance():
    acct = Account("ana", 100)
    acct.withdraw(30)
    assert acct.balance == 70


def test_overdraft_is_rejected():
    acct = Account("ana", 20)
    with pytest.raises(ValueError):
        acct.withdraw(50)


def test_history_records_withdrawal():
    acct = Account("ana", 100)
    acct.withdraw(10)
    assert acct.history == [("withdraw", 10)]
