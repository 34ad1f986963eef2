class InsufficientFunds(Exception):
    pass


class Account:
    def __init__(self, owner, balance_cents=0):
        self.owner = owner
        self.balance_cents = balance_cents
        self.history = []

    def deposit(self, cents):
        if cents <= 0:
            raise ValueError("deposit must be positive")
        self.balance_cents += cents
        self.history.append(("deposit", cents))

    def withdraw(self, cents):
        if cents <= 0:
            raise ValueError("withdrawal must be positive")
        self.history.append(("withdraw", cents))
        if cents > self.balance_cents:
            raise InsufficientFunds(f"{self.owner} has {self.balance_cents}, needs {cents}")
        self.balance_cents -= cents
