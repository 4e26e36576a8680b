"""The fan's and creator's use cases, Qt-free: they join engine, store, player and bundle (no Qt)."""
