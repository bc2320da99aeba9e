"""infoplane: information-plane analysis of deep networks with validated MI estimators.

Subpackages: ``estimators`` (MI estimators behind a registry), ``synthetic`` (tasks with
closed-form MI), ``compression``, ``nets``. All values are in nats.
"""

__version__ = "0.1.0"
