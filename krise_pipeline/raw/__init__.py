"""The deliveries as they arrive: the year folders, reading their CSV and Excel files."""
