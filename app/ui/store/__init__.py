"""The Store section (``section.StoreSection``): the catalog grid, a bundle's page, the dialogs of its gates
(account, payment, e-mail) and the store's flows."""
