"""The database's failure, as the layers above catch it: they never import SQLAlchemy (a
database that is away is a reason to answer `unavailable`, not a detail they should know)."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError as DatabaseError

__all__ = ["DatabaseError"]
