"""Identification: travel documents, names across scripts, person scoring, screening and
cross-referencing. Pure functions at the bottom (mrz, names, person), indexes and the
Splink resolver above them."""
