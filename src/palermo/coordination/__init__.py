"""Coordination: cases, deconfliction, joint operations, legal assistance, victim protection,
legal frameworks and training. Every workflow record is an entity, so it is shared,
exchanged between nodes and audited exactly like the data it is about."""
