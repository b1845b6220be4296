"""The rules' plans, kept in the cache: a warm run plans its rules without importing a check kind.

A ``RulePlan`` (``plan.py``: file kinds, text patterns, facts read, reach) comes from the rule's
check kind, and importing the 18 kind modules (and what they import) was a large part of a warm
run's start-up. The plans of a rule set are a function of the rules (``Plan.digest``) and of the
source of the check kinds and the planner (``keys.PLAN_SOURCE``), so they are stored under that
key; ``build_plan`` takes this module's ``cached_rule_plans`` as its ``rule_plans``.
"""

from __future__ import annotations

from typing import Sequence

from ..plan import RulePlan, rule_plans_of
from ..types import Rule
from .codec import CorruptEntry, decode_object, encode_object
from .keys import plan_key
from .store import PLANS, FactCache


def cached_rule_plans(directory: str, chosen: Sequence[Rule], digest: str) -> list[RulePlan]:
    """``rule_plan`` of each rule in ``chosen`` (the rule set ``digest``), through the cache in
    ``directory``."""
    cache = FactCache(directory, PLANS)
    key = plan_key(digest)
    body = cache.get(key)
    if body is not None:
        try:
            got = decode_object(body)
            if isinstance(got, tuple) and len(got) == len(chosen) and all(
                    isinstance(x, RulePlan) for x in got):
                return list(got)
        except CorruptEntry:
            pass
    infos = rule_plans_of(chosen)
    cache.put(key, encode_object(tuple(infos)))
    return infos
