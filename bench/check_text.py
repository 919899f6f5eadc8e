"""Speed of `check-text` on the whole seed page (the real 2024 page, 300 lines).

    .venv/bin/python bench/check_text.py [--publication warehouse/publication.duckdb] [--repeat 5]

Needs a publication (`make run`). Prints the seconds of: reading publication.duckdb, the first
check in a fresh process (the codebook's phrases are built then), the median of further checks,
and the whole command (`krise-pipeline check-text ...` as a subprocess, imports included).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "krise_pipeline_tests" / "fixtures" / "bo-og-dagtilbud-2024.txt"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--publication", default=str(ROOT / "warehouse" / "publication.duckdb"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    started = time.perf_counter()
    from krise_pipeline import editorial
    from krise_pipeline.publication.model import load_publication
    imported = time.perf_counter()
    pub = load_publication(Path(args.publication))
    loaded = time.perf_counter()
    text = SEED.read_text(encoding="utf-8")
    result = editorial.check_text(text, pub, 2024)
    first = time.perf_counter() - loaded
    again = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        editorial.check_text(text, pub, 2024)
        again.append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("krise-pipeline")), "check-text", str(SEED), "--year", "2024",
                    "--warehouse-dir", str(Path(args.publication).parent)], capture_output=True, check=False)
    command = time.perf_counter() - t
    print(f"imports {imported - started:.2f} s, read publication {loaded - imported:.2f} s, "
          f"first check {first:.2f} s, later checks {statistics.median(again):.2f} s (median of {args.repeat}), "
          f"command {command:.2f} s; {len(result.findings)} findings, {result.checked} claims checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
