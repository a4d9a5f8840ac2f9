"""One-to-one peer support: the queue backends and the service."""
