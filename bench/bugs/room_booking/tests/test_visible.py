import pytest

from booking.calendar import RoomCalendar
from booking.slots import Slot


def test_bad_slot():
    with pytest.raises(ValueError):
        Slot(10, 10)


def test_clash():
    cal = RoomCalendar()
    assert cal.book("blue", Slot(9, 11), "ann")
    assert not cal.book("blue", Slot(10, 12), "bob")


def test_other_room():
    cal = RoomCalendar()
    cal.book("blue", Slot(9, 11), "ann")
    assert cal.book("red", Slot(9, 11), "bob")


def test_back_to_back_allowed():
    cal = RoomCalendar()
    assert cal.book("blue", Slot(9, 10), "ann")
    assert cal.book("blue", Slot(10, 11), "bob")
