"""The cache: everything obs-lint keeps between runs, in one directory it owns.

One package, one job per module, imported by the stages above it (extraction, evaluation, the
API) and importing nothing above it:

* ``keys.py`` — what each stored value depends on: the run key (computed once per run,
  ``RunKey``), fact-entry, pack and plan keys, digests of obs-lint's own source;
* ``store.py`` — bytes by key in the cache directory: confinement (a directory obs-lint
  created), integrity checks, atomic writes, ``clear``; validated packs (``cached_pack``);
* ``codec.py`` — values to bytes and back: allow-list unpickling, lazily decoded facts;
* ``statindex.py`` — "this file did not change" from its ``stat``, so it is not even read;
* ``memo.py`` — rule results whose inputs did not change (the evaluation stage asks it);
* ``plans.py`` — the rules' plans, so a warm run imports no check kind.

This ``__init__`` imports nothing, so importing one module does not load the others.
"""
