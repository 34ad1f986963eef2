import pytest

from ledger.account import Account, InsufficientFunds
from ledger.transfer import statement, transfer


def test_failed_transfer_changes_nothing():
    a, b = Account("ann", 100), Account("bob", 5)
    with pytest.raises(InsufficientFunds):
        transfer(a, b, 101)
    assert (a.balance_cents, b.balance_cents, a.history, b.history) == (100, 5, [], [])


def test_history_matches_balance():
    a = Account("ann", 0)
    a.deposit(50)
    a.withdraw(20)
    with pytest.raises(InsufficientFunds):
        a.withdraw(40)
    assert a.history == [("deposit", 50), ("withdraw", 20)]
    assert statement(a)[-1].endswith("30")
