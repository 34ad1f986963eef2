"""Prices in several currencies."""
