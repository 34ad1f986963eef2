"""Parsing contact records from CSV lines (fields may be quoted and contain commas)."""

import csv


def parse_line(line):
    return line.split(",")


def parse_contacts(text):
    lines = [l for l in text.splitlines() if l.strip()]
    header = parse_line(lines[0])
    return [dict(zip(header, parse_line(line))) for line in lines[1:]]


def emails(text):
    return sorted(c["email"] for c in parse_contacts(text) if c.get("email"))
