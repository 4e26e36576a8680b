"""The Library section: the fan's media library page (cover grid, Continue watching, the bundle's episodes)."""
