"""Booking rooms by the hour without double-booking."""
