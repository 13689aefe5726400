"""palermo: a federated intelligence platform for agencies fighting human trafficking."""

__version__ = "0.1.0"
