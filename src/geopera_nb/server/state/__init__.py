"""The sandbox's state: the SQLite store and everything kept in it (orders, decisions,
deliveries, templates, orgs, the ledger, idempotency records, credentials) plus the
in-memory rate limits. The only layer that writes SQL."""
