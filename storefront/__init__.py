"""Bundlecast's store service: catalog, accounts, gates, payments, campaigns, licenses, tracker, web seed."""
