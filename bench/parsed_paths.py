#!/usr/bin/env python3
"""The Python files obs-lint parses in a project, one absolute path per line.

    python bench/parsed_paths.py CORPUS_ROOT [--pack e2i] [--needs]

Run with the Python that has obs-lint installed. It asks obs-lint's own prefilter (discovery,
the active rules' scopes and byte patterns: ``obs_lint.facts.prepare_file``), parses nothing,
and prints the ``.py`` files a cold ``obs-lint check`` would hand to libcst. ``bench/run.py``
feeds this list to ``parse_floor.py`` so the floor parses exactly the files obs-lint parses
(YAML and SQL files are read by other parsers and are not part of a libcst floor).
``--needs`` adds, after a tab, which facts the file's rules read ("imports", or "all"), as
``bench/profile_extract.py`` needs to extract each file the way a run does.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("--pack", action="append", default=None)
    ap.add_argument("--needs", action="store_true")
    args = ap.parse_args(argv)

    from obs_lint.api import load_packs, resolve_config
    from obs_lint.discover import discover
    from obs_lint.facts import Prepared, prepare_file
    from obs_lint.plan import build_plan
    from obs_lint.types import FileKind

    config = resolve_config([args.root])
    if args.pack:
        config = config.with_overrides(packs=tuple(args.pack))
    packs = load_packs(config)
    plan = build_plan(packs, config.select, config.extend_select, config.ignore)
    files = discover(config.root, [config.root], config.exclude + config.extend_exclude,
                     config.respect_gitignore)
    coverage = plan.coverage(files)
    for src in files:
        if src.kind is not FileKind.PYTHON:
            continue
        prep = prepare_file(src, coverage.patterns_for(src), max_bytes=config.byte_budget(src.kind))
        if isinstance(prep, Prepared):
            print(f"{src.abs_path}\t{coverage.needs_for(src) or 'all'}" if args.needs
                  else src.abs_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
