from ledger.account import Account


def transfer(source: Account, target: Account, cents: int) -> None:
    """Move money; on failure neither account changes."""
    source.withdraw(cents)
    target.deposit(cents)


def statement(account: Account) -> list[str]:
    lines = [f"{kind:<9}{cents:>8}" for kind, cents in account.history]
    lines.append(f"{'balance':<9}{account.balance_cents:>8}")
    return lines
