"""`python -m krise_sample [--out DIR] [--scale X] [--seed N] [--years Y ...]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from krise_sample.generator import DEFAULT_SEED, DEFAULT_YEARS, WouldReplace, generate_safely


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m krise_sample", description=__doc__)
    p.add_argument("--out", default="data", help="the data folder to write raw/<year>/ into (default: data)")
    p.add_argument("--scale", type=float, default=1.0, help="volume relative to the published years")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS))
    args = p.parse_args(argv)
    try:
        paths = generate_safely(Path(args.out), years=tuple(args.years), scale=args.scale, seed=args.seed)
    except WouldReplace as exc:
        print(f"krise_sample: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(paths)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
