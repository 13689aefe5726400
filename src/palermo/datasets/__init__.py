"""Loaders for real, published data sets (CTDC, UNODC GLOTIP, TIP tiers, covert networks)."""
