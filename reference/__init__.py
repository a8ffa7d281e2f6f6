"""The NumPy reference: the executable specification every backend is checked against.

One module per area; each function states the behaviour in its docstring and computes it
from the rule itself, in float64 where precision matters.  It never imports a library
under test.
"""
