"""Features: each handles its own frame types and registers them in a table (see
core/ports.py). Features never import each other; what two of them share lives in core."""
