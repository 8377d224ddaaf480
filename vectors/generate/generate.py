#!/usr/bin/env python3
"""Generate and check the sciwire v1 golden vectors, one envelope module at a time.

    python3 vectors/generate/generate.py [generate]     rewrite vectors/v1/<marker>/** of every
                                                       envelope, then MANIFEST.sha256
    python3 vectors/generate/generate.py --only FOLDER  rewrite one envelope's folder (e.g.
                                                       scipy.sparse) or profile's (flame), then
                                                       MANIFEST.sha256
    python3 vectors/generate/generate.py check          regenerate in memory and compare, check
                                                       MANIFEST.sha256, lint every vector file
                                                       and print the clause coverage

The envelopes are the modules of sciwire_gen/ that assign MARKER, and the profiles those that
assign PROFILE (README.md beside this file); each writes the folder it names.
One whose REQUIRES do not import (torch is optional) is skipped, and said so: its files on disk
are left as they are, and `check` checks them against MANIFEST.sha256 and lints them.
"""

from __future__ import annotations

import argparse
import sys

from sciwire_gen.common import cmd_check, cmd_generate, load_envelopes


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="generate.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="generate", choices=("generate", "check"))
    parser.add_argument("--only", metavar="FOLDER", action="append",
                        help="generate only this envelope (its marker) or profile (repeatable)")
    args = parser.parse_args(argv[1:])
    if args.command == "check" and args.only:
        parser.error("--only goes with generate: check checks every envelope")
    envelopes = load_envelopes()
    if args.command == "check":
        return cmd_check(envelopes)
    return cmd_generate(envelopes, args.only)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
