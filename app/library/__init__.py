"""The fan's and creator's bundle use cases, Qt-free: what lives on disk and where, playable copies, and the
other steps that join the engine, the store and the bundle format (see ``../../shared/ARCHITECTURE.md``)."""
