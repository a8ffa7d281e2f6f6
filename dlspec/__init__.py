"""dlspec: an executable specification of deep-learning tensor behaviour.

``dlspec.api`` holds the backend API, ``dlspec.backends`` the built-in adapters,
``dlspec.compare`` the comparison helper and its tolerance policy, and ``dlspec.plugin``
the pytest plugin that selects backends with ``--backend``.
"""

from dlspec.api import Backend, Capabilities, composed

__all__ = ["Backend", "Capabilities", "composed"]
__version__ = "0.1.0"
