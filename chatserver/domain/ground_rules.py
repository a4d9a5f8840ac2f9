"""A room's ground rules have a version: the digest of their texts. A participant joins with the
version they read and accepted; when an admin changes the rules, the version changes and
everyone is asked again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping


def rules_version(rules: Mapping[str, str] | None) -> str | None:
    """12 hex digits that change whenever any language's text changes; None without rules."""
    if not rules or not any(text.strip() for text in rules.values()):
        return None
    canonical = json.dumps(dict(rules), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
