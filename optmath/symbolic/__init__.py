"""Derivations over specs (closed forms, limits, equivalences)."""
