"""Contact list clean-up."""


def unique_emails(rows: list[str]) -> list[str]:
    """Distinct normalised e-mail addresses (second CSV column) in first-seen order."""
    seen = []
    for row in rows:
        email = row.split(",")[1].strip().lower()
        if email not in seen:
            seen.append(email)
    return seen
