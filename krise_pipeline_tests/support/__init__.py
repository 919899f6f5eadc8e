"""What the tests share: hand-made deliveries and publications, the browser, a PostgreSQL cluster, the paths."""
