"""YAML fact extraction: documents with spans; hostile input becomes a problem, never a crash."""

from __future__ import annotations

import pickle
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obs_lint.facts.yaml_doc import YamlFacts, extract

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "checks" / "yaml"


def _read(rel: str) -> str:
    return (FIX / rel).read_text(encoding="utf-8")


def test_realistic_config_keeps_values_and_lines():
    facts, problems = extract("config/mlflow/mlflow.yaml", _read("config/mlflow/mlflow.yaml"))
    assert problems == ()
    assert isinstance(facts, YamlFacts)
    (doc,) = facts.documents
    uri = doc.lookup("tracking.uri")
    assert uri.value == "http://mlflow.internal:5000"
    assert uri.span.line == 7
    assert doc.lookup("circuit_breaker.failure_threshold").value == 5
    assert doc.lookup("registry.stages").to_python() == ["dev", "staging", "shadow", "production"]
    # a quoted key containing a dot is one key
    assert doc.get("experiments").get("naming.scheme").value == "{prefix}{agent}_{date}"


def test_anchors_and_aliases_in_normal_amounts_are_read():
    facts, problems = extract("m.yaml", _read("config/mlflow/mlflow.yaml"))
    assert problems == ()
    retry = facts.documents[0].lookup("tracking.retry")
    assert retry.to_python() == {"max_retries": 3, "backoff_seconds": 2}
    # an aliased value keeps the spans of its anchor, where it is written
    assert retry.span.line == 2
    assert facts.documents[0].lookup("tracking.retry.max_retries").span.line == 3


def test_multi_document_file_keeps_every_document_in_order():
    facts, problems = extract("o.yaml", _read("config/observability.yaml"))
    assert problems == ()
    assert len(facts.documents) == 2
    assert facts.documents[0].lookup("opik.project_name").value == "e2i-causal-analytics"
    assert facts.documents[1].lookup("tiers.1.sample_rate").value == 0.5
    assert facts.documents[1].lookup("tiers.1.sample_rate").span.line == 28


def test_empty_and_comment_only_files_have_no_documents_and_no_problem():
    assert extract("e.yaml", "") == (YamlFacts(()), ())
    assert extract("e.yaml", "# only a comment\n") == (YamlFacts(()), ())


def test_billion_laughs_is_refused():
    # refused by its node count (200,000), not by a clock: the bound is on work, so the test
    # does not depend on how busy the machine is
    facts, problems = extract("b.yaml", _read("bad/billion_laughs.yaml"))
    assert facts.documents == ()
    (p,) = problems
    assert p.rule == "parse-error"
    assert "more than 200000 nodes (alias expansion bomb?); refused" in p.message


def test_duplicate_keys_are_refused_at_the_second_key():
    facts, problems = extract("d.yaml", _read("bad/duplicate_keys.yaml"))
    assert facts.documents == ()
    (p,) = problems
    assert p.rule == "parse-error"
    assert p.message == "YAML not read: duplicate key 'tracking' (first defined on line 1)"
    assert p.span.line == 5


def test_python_object_tag_is_refused_and_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    text = (f"tracking:\n  uri: !!python/object/apply:os.system [\"touch {marker}\"]\n"
            f"other: !!python/object/new:subprocess.check_call [[touch, {marker}]]\n")
    facts, problems = extract("p.yaml", text)
    assert facts.documents == ()
    (p,) = problems
    assert p.rule == "parse-error"
    assert "python/object/apply:os.system" in p.message and "is not allowed" in p.message
    assert p.span.line == 2
    # the fixture file too (its payload would create a file in the working directory)
    _, problems = extract("p.yaml", _read("bad/python_object.yaml"))
    assert problems[0].rule == "parse-error"
    assert not marker.exists()
    assert not (tmp_path / "OBS_LINT_PWNED_MARKER").exists()


def test_custom_tags_are_refused_and_merge_keys_are_expanded():
    _, (p,) = extract("c.yaml", "x: !Ref foo\n")
    assert p.message == "YAML not read: tag '!Ref' is not allowed (only plain YAML data is read)"
    facts, problems = extract("m.yaml", "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n")
    assert problems == ()
    assert facts.documents[0].lookup("d").to_python() == {"x": 1, "y": 3}
    _, (p,) = extract("m.yaml", "d:\n  <<: [1, 2]\n")
    assert "merge key" in p.message and p.span.line == 2


def test_syntax_errors_carry_their_line_and_one_line_message():
    _, (p,) = extract("s.yaml", "a:\n  b: 1\n c: [\n")
    assert p.rule == "parse-error"
    assert "\n" not in p.message
    assert p.span.line >= 3


def test_bad_scalar_values_are_parse_errors_not_crashes():
    for text in ("when: 2024-13-45\n", "x: !!int abc\n", "x: !!float abc\n",
                 "x: !!binary 'not base64!!'\n"):
        facts, (p,) = extract("v.yaml", text)
        assert p.rule == "parse-error", text
        assert "\n" not in p.message
        assert facts.documents == ()


def test_deep_nesting_is_refused():
    _, (p,) = extract("n.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert p.rule == "parse-error"
    assert "nesting" in p.message


def test_facts_are_picklable():
    facts, _ = extract("m.yaml", _read("config/mlflow/mlflow.yaml"))
    again = pickle.loads(pickle.dumps(facts))
    assert again == facts
    assert again.documents[0].lookup("tracking.uri").span.line == 7


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n\t ,?%@`1.")), max_size=80))
def test_extract_never_raises(text):
    facts, problems = extract("f.yaml", text)
    assert isinstance(facts, YamlFacts)
    assert all(p.rule in ("parse-error", "internal-error") for p in problems)
    assert not (facts.documents and problems)


# -- libcst-free speed path: libyaml's composer must build exactly what PyYAML's does ---------

REPO = Path(__file__).resolve().parent.parent


def _graph(node, out, seen=None):
    """Every node's kind, tag, marks and scalar value, in document order; a node met again
    through an alias is listed by its first position (so alias bombs stay small)."""
    import yaml

    seen = {} if seen is None else seen
    if id(node) in seen:
        out.append(("alias", seen[id(node)]))
        return out
    seen[id(node)] = len(out)
    out.append((type(node).__name__, node.tag, node.start_mark.line, node.start_mark.column,
                node.end_mark.line, node.end_mark.column,
                node.value if isinstance(node, yaml.ScalarNode) else None))
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _graph(k, out, seen)
            _graph(v, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _graph(v, out, seen)
    return out


YAML_SAMPLES = [
    "a: 'é'\nb: [ü, x]\nc: {k: v}\n",
    "a: 1\r\nb:\r\n  - x\r\n  - y\r\n",
    "k: |\n  é line\n  two\nz: 1\n",
    "a: &x [1, 2]\nb: *x\n<<: {m: 1}\n",
    "- 日本語: 値\n  other: 1\n",
    "---\na: 1\n...\n---\n- b\n",
    "x: 2001-12-14t21:59:43.10-05:00\ny: 0o17\nz: .inf\nw: ~\nv: yes\n",
]


def test_libyaml_and_pure_python_composers_build_the_same_graph():
    import yaml

    from obs_lint import yamlsafe

    if yamlsafe._C_LOADER is None:  # pragma: no cover - PyYAML wheels ship libyaml
        raise AssertionError("PyYAML without libyaml: the pack loader would be 14x slower")
    texts = list(YAML_SAMPLES)
    texts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "rules").glob("*.yaml"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted(FIX.rglob("*.y*ml"))
              if ".obs-lint-cache" not in p.parts]
    assert len(texts) > 10
    for text in texts:
        assert yamlsafe.shallow_enough(text)
        py = [_graph(d, []) for d in yamlsafe._compose(yaml.SafeLoader, text)]
        c = [_graph(d, []) for d in yamlsafe._compose(yamlsafe._C_LOADER, text)]
        assert py == c


def test_deep_documents_never_reach_the_c_composer(monkeypatch):
    from obs_lint import yamlsafe

    deep = "[" * 3000 + "]" * 3000
    assert not yamlsafe.shallow_enough(deep)
    assert not yamlsafe.shallow_enough("a:\n" + "  " * 1000 + "b: 1\n")
    used = []
    real = yamlsafe._compose
    monkeypatch.setattr(yamlsafe, "_compose", lambda cls, text: used.append(cls) or real(cls, text))
    try:
        yamlsafe.parse_yaml(deep)
    except yamlsafe.YamlError:
        pass
    assert used and yamlsafe._C_LOADER not in used


def test_c_composer_errors_are_reported_in_pyyaml_words():
    from obs_lint import yamlsafe

    bad = "a: [1, 2\nb: 3\n"
    try:
        yamlsafe.parse_yaml(bad)
    except yamlsafe.YamlError as exc:
        c_side = (exc.message, exc.line)
    saved = yamlsafe._C_LOADER
    try:
        yamlsafe._C_LOADER = None
        yamlsafe.parse_yaml(bad)
    except yamlsafe.YamlError as exc:
        assert (exc.message, exc.line) == c_side
    finally:
        yamlsafe._C_LOADER = saved
