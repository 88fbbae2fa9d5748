"""Intake: reading patch mail, assembling a series, applying it in memory to a tree."""
