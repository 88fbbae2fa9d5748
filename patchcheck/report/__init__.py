"""Reporting: findings and their renderings (text, terse, JSON, SARIF)."""
