"""Counterexample search: classification of runs, certificates, searches over problem families."""
