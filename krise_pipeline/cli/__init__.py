"""The command line and the machinery that starts Dagster runs for it."""
