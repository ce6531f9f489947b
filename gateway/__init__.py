"""The gateway service: configuration, ledger, cache, catalog, routing, orders, APIs."""
