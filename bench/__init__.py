"""The benchmark of issue 7: ``python -m bench`` (``make bench``); see bench/README.md."""
