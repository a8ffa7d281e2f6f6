"""Deliberately broken backends, one module per area.  Each class breaks one behaviour in a
plausible way and names, in ``catches``, the conformance tests that must fail for it;
``tests/test_mutants.py`` runs them all and checks that every one is caught."""
