"""Session fixtures for the Store and Library tests (filled in with the real storefront)."""
