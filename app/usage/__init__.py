"""Anonymous usage counts in a real database, and the shared "text me this" ledger."""
