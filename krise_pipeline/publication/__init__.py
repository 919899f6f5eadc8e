"""The published state: publication.duckdb and its catalogue, the releases, the ledger of
published figures, the acknowledgements."""
