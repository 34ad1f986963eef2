"""Workload for polib_find: a catalogue of 2000 * scale entries, a quarter obsolete, and a
look-up of an entry near its end (what a tool merging translations does per message)."""

import polib

TARGET = "polib:_BaseFile.find"
SCALE = 5


def make_input(scale):
    po = polib.POFile()
    n = 2000 * scale
    for i in range(n):
        po.append(polib.POEntry(msgid=f"message {i}", msgstr=f"message {i}", obsolete=(i % 4 == 0),
                                msgctxt="ctx" if i % 3 == 0 else None))
    return (po, f"message {max(n - 2, 0)}")


def edge_inputs():
    po = polib.POFile()
    for i, ctx in enumerate([None, "a", "a", None]):
        po.append(polib.POEntry(msgid="dup" if i else "one", msgstr=str(i), msgctxt=ctx))
    yield (po, "dup")
    yield (po, "one")
    yield (po, "absent")
