"""Teaching: exercise sheets with toolkit-computed answer keys, and grading."""
