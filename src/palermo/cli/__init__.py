"""The command line: ``palermo``."""
