"""Pure moderation policy: decisions over the state they are given.

Standard library only, no I/O, and never imports ``chatserver`` (the arrow goes the other
way). Every function that depends on time takes ``now`` so tests are exact.
"""
