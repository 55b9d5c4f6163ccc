"""The scipar command: `scipar compare BASE NEW` (also `python -m scipar compare`)."""

import argparse
import os
import sys


def _margin(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text}: the margin is a fraction between 0 and 1 (0.05 is 5 %)")
    return value


def parser():
    main = argparse.ArgumentParser(prog="scipar", description="Measure what acceleration buys; compare two runs.")
    commands = main.add_subparsers(dest="command", required=True)
    compare = commands.add_parser(
        "compare", help="compare two runs cell by cell",
        description="Compare two scipar runs cell by cell: NEW / BASE per-call times and speedups, with 95 % "
                    "intervals and a verdict (faster, slower, no change, inconclusive), the cells of one run only, "
                    "and what differs between the runs' machines, software and settings.")
    compare.add_argument("base", metavar="BASE", help="a results folder, a checkout, or its tables/timings.csv")
    compare.add_argument("new", metavar="NEW", help="the same, for the run compared with BASE")
    compare.add_argument("--margin", type=_margin, default=0.05,
                         help="changes smaller than this fraction count as no change (default 0.05: 5 %%)")
    compare.add_argument("--out", metavar="FOLDER",
                         help="also write FOLDER/compare.csv, compare.md and compare.png (and .svg)")
    return main


def main(argv=None):
    args = parser().parse_args(argv)
    from scipar.report.compare import CompareError, Run, compare, markdown, write

    try:
        result = compare(Run(args.base), Run(args.new), args.margin)
    except CompareError as err:
        print(f"scipar compare: error: {err}", file=sys.stderr)
        return 2
    print(markdown(result), end="")
    if args.out:
        paths = {kind: os.path.join(args.out, f"compare.{kind}") for kind in ("csv", "md", "png", "svg")}
        write(result, paths["csv"], paths["md"], [paths["png"], paths["svg"]])
        print(f"\nWritten: {', '.join(paths.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
