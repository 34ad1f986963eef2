from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    start: int  # hour of day, inclusive
    end: int  # hour of day, exclusive

    def __post_init__(self):
        if not 0 <= self.start < self.end <= 24:
            raise ValueError(f"bad slot {self.start}-{self.end}")

    def overlaps(self, other: "Slot") -> bool:
        return self.start <= other.end and other.start <= self.end
