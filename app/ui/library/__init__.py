"""The Library tab: the bundles you own, their download state, and what you can do with them."""
