"""The Transfers tab: every torrent in a table, its details, and the actions on it."""
