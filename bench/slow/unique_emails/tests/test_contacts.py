import pytest

from crm.contacts import unique_emails


def test_dedupes_case_insensitively_in_order():
    rows = ["ann, Ann@X.org", "bob,bob@y.org", "ann2,ann@x.org "]
    assert unique_emails(rows) == ["ann@x.org", "bob@y.org"]


def test_row_without_email_column_raises():
    with pytest.raises(IndexError):
        unique_emails(["just-a-name"])
