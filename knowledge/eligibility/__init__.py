"""Eligibility: the facts vocabulary, plan files (rules, materials, timeline), the rules engine
and the verdict's rendering. Imports nothing from `bot/` or `handlers/`."""
