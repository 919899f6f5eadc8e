"""The deterministic sample deliveries: development tooling, not part of the installed package.

`python -m krise_sample --out DIR` (or `make sample`) writes `DIR/raw/<year>/` for the sample years,
calibrated to the published figures, and `DIR/releases.csv` into a new folder. It never replaces a
file that is not its own output, and never writes the release records of an existing folder.
"""

from krise_sample.generator import (
    DEFAULT_SEED,
    DEFAULT_YEARS,
    MAX_CENTRES,
    WouldReplace,
    generate,
    generate_safely,
)

__all__ = ["DEFAULT_SEED", "DEFAULT_YEARS", "MAX_CENTRES", "WouldReplace", "generate", "generate_safely"]
