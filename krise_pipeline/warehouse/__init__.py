"""From validated deliveries to the warehouse's dimensions, facts, suppression and quality checks (DuckDB SQL)."""
