"""Counts in prose: "1 call", "2 calls". Pure; it must never decide anything but the word's form."""

from __future__ import annotations


def counted(number: int, noun: str) -> str:
    """``number`` and ``noun``, with an s unless the number is 1."""
    return f"{number} {noun if number == 1 else noun + 's'}"
