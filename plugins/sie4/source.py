"""Placeholder until the SIE4 reader lands (issue 3)."""
