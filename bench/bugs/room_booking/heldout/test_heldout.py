from booking.calendar import RoomCalendar
from booking.slots import Slot


def test_overlap_relation():
    for a in range(0, 6):
        for b in range(a + 1, 7):
            for c in range(0, 6):
                for d in range(c + 1, 7):
                    expected = bool(set(range(a, b)) & set(range(c, d)))
                    assert Slot(a, b).overlaps(Slot(c, d)) == expected


def test_free_hours():
    cal = RoomCalendar()
    cal.book("x", Slot(0, 8), "night")
    cal.book("x", Slot(8, 23), "day")
    assert cal.free_hours("x") == [23]
