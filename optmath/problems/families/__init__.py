"""The built-in problem families, one file each (see :mod:`optmath.problems.family`)."""
