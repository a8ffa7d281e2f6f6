"""Built-in backend adapters, imported lazily by name through :mod:`dlspec.registry`."""
