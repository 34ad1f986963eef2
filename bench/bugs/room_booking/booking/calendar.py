from booking.slots import Slot


class RoomCalendar:
    def __init__(self):
        self.bookings: dict[str, list[tuple[Slot, str]]] = {}

    def book(self, room: str, slot: Slot, who: str) -> bool:
        taken = self.bookings.setdefault(room, [])
        if any(slot.overlaps(other) for other, _ in taken):
            return False
        taken.append((slot, who))
        taken.sort(key=lambda pair: pair[0].start)
        return True

    def free_hours(self, room: str) -> list[int]:
        busy = {h for slot, _ in self.bookings.get(room, []) for h in range(slot.start, slot.end)}
        return [h for h in range(24) if h not in busy]
