"""Exchange between nodes: each agency's node sends its partners exactly what it shared.

See docs/exchange.md for the protocol. Batches are signed with the sending node's Ed25519
key, carry only statements owned by the sending node's agency whose sharing reaches the
receiving node's agency, and apply in order, exactly once.
"""
