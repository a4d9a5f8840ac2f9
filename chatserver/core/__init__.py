"""The core every feature stands on: local fan-out (hub), room streams, identities, staff
accounts, crisis resources, and the one service that implements what a feature may do."""
