"""Accounts with an audit history and transfers between them."""
