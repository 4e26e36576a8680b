"""The Store tab: the catalog grid, a bundle's page, and the dialogs of its gates (account, payment, e-mail)."""
