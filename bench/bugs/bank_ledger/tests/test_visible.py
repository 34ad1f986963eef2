import pytest

from ledger.account import Account, InsufficientFunds
from ledger.transfer import statement, transfer


def test_deposit():
    a = Account("ann")
    a.deposit(500)
    assert a.balance_cents == 500 and a.history == [("deposit", 500)]


def test_transfer():
    a, b = Account("ann", 1000), Account("bob")
    transfer(a, b, 300)
    assert (a.balance_cents, b.balance_cents) == (700, 300)


def test_failed_withdraw_not_in_history():
    a = Account("ann", 100)
    with pytest.raises(InsufficientFunds):
        a.withdraw(500)
    assert a.history == []


def test_statement():
    a = Account("ann", 0)
    a.deposit(25)
    assert statement(a) == ["deposit        25", "balance        25"]
