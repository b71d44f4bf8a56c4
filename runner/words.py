"""Counts in prose: "1 call", "2 calls". Pure; it must never decide anything but the word's form."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and ``noun``, the noun plural unless the number is 1 (``plural``: an irregular one)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
