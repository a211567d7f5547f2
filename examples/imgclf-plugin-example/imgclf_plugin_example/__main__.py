"""``python -m imgclf_plugin_example DIR [--per-class N] [--size PX] [--seed S]``:
draw a shapes data set to try the plugin on."""

from __future__ import annotations

import argparse

from .data import make_shapes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m imgclf_plugin_example", description=__doc__)
    parser.add_argument("root", help="folder to create (images + shapes.jsonl)")
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.0)
    args = parser.parse_args(argv)
    root = make_shapes(args.root, args.per_class, args.size, args.seed, args.test_fraction)
    print(f"Wrote {3 * args.per_class} images and {root / 'shapes.jsonl'}")


if __name__ == "__main__":
    main()
