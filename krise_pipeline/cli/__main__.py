"""`python -m krise_pipeline.cli`: the same as `krise-pipeline`."""

from krise_pipeline.cli.commands import console

console()
