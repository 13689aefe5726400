"""Regression tests for the 2026-11-29 security review, one per finding."""
