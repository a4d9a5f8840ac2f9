"""Pure definitions and rules: frames, error codes, settings, schedules, the session state
machine, the one-to-one queue's rules, pseudonyms. No I/O; every other layer may use them."""
