"""Pure moderation policy: decisions over the state they are given.

Standard library only, no I/O (the bundled word lists in ``data/`` are package resources
read once), and never imports ``chatserver`` (the arrow goes the other way). Every function
that depends on time takes ``now`` so tests are exact.

- ``types``: roles, verdicts, filter hits, the sender's context and the room's controls.
- ``policy.decide``: the one verdict about a message; fails closed to HOLD.
- ``settings.FilterSettings``: per-room filter settings from the admins' JSON.
- ``filters``: blocklist, personal details, flood, newcomers, links, crisis language.
- ``normalize``, ``matching``, ``crisis``, ``personal``: what the filters are built from.
- ``abuse``, ``harm``, ``lexicon``: the built-in patterns for insults aimed at a person and
  for telling someone to kill or harm themselves, from word classes; the bundled lists in
  ``data/`` hold slurs and fixed phrases.
- ``permissions``: who may do what, where (``check``, ``may``, ``may_target``).
- ``ratelimit``, ``names``: token buckets and pseudonym rules.
"""
