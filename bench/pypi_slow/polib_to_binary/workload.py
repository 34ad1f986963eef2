"""Workload for polib_to_binary: a catalogue of 250 * scale translated entries (some with a
context, some plural) compiled to .mo bytes, what save_as_mofile does."""

import random

import polib

TARGET = "polib:_BaseFile.to_binary"
SCALE = 8


def make_input(scale):
    rng = random.Random(11)
    po = polib.POFile()
    po.metadata = {"Project-Id-Version": "bench 1.0", "Content-Type": "text/plain; charset=utf-8",
                   "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    for i in range(250 * scale):
        words = " ".join(rng.choice(["file", "open", "save", "ünïcode", "error", "the", "%s"]) for _ in range(6))
        if i % 7 == 0:
            entry = polib.POEntry(msgid=f"{words} {i}", msgid_plural=f"{words} {i}s",
                                  msgstr_plural={0: f"un {i}", 1: f"des {i}"})
        else:
            entry = polib.POEntry(msgid=f"{words} {i}", msgstr=f"{words[::-1]} {i}",
                                  msgctxt="menu" if i % 5 == 0 else None)
        po.append(entry)
    return (po,)
