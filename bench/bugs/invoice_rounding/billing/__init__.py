"""Invoice lines in decimal currency, rounded half-up to cents like the tax office does."""
