"""Per-area implementations of the spec operations: ``ops/<area>.py`` holds one mixin per
library (``Reference<Area>``, ``Numpy<Area>``, ``Torch<Area>``, ``Jax<Area>``)."""
