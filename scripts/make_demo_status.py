"""Regenerate the committed demo status files (deterministic): data/status/demo-*.csv and demo-status.xlsx."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_app.sources import demo_status  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "status", help="output folder")
    parser.add_argument("--seed", type=int, default=demo_status.SEED, help="random seed (default: the plan number)")
    args = parser.parse_args(argv)
    for path in demo_status.write(args.out, args.seed):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
