"""Discovery: .gitignore and excludes honoured, symlinks never followed out of the root."""

from __future__ import annotations

import os

from obs_lint.config import DEFAULT_EXCLUDE
from obs_lint.discover import discover


def _tree(tmp_path, files: dict[str, str]):
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _paths(root, **kw):
    return [f.path for f in discover(str(root), [str(root)], kw.pop("exclude", DEFAULT_EXCLUDE),
                                     **kw)]


def test_kinds_sorting_and_default_excludes(tmp_path):
    _tree(tmp_path, {"b.py": "", "a/x.yaml": "", "a/y.yml": "", "db/s.sql": "", "n.txt": "",
                     "img.png": "", ".venv/lib/z.py": "", "pkg/__pycache__/c.py": "",
                     "stub.pyi": "", ".git/hooks/h.py": ""})
    found = discover(str(tmp_path), [str(tmp_path)], DEFAULT_EXCLUDE)
    assert [(f.path, f.kind.value) for f in found] == [
        ("a/x.yaml", "yaml"), ("a/y.yml", "yaml"), ("b.py", "python"), ("db/s.sql", "sql"),
        ("stub.pyi", "python")]


def test_gitignore_root_and_nested(tmp_path):
    _tree(tmp_path, {".gitignore": "generated/\n*_pb2.py\n!keep_pb2.py\n",
                     "generated/g.py": "", "src/m_pb2.py": "", "src/keep_pb2.py": "",
                     "src/.gitignore": "local.py\n", "src/local.py": "", "local.py": "",
                     "src/ok.py": ""})
    assert _paths(tmp_path) == ["local.py", "src/keep_pb2.py", "src/ok.py"]
    assert "generated/g.py" in _paths(tmp_path, respect_gitignore=False)


def test_configured_excludes_apply_to_explicit_files_too(tmp_path):
    _tree(tmp_path, {"vendor/v.py": "", "src/a.py": ""})
    excl = DEFAULT_EXCLUDE + ("vendor/",)
    assert _paths(tmp_path, exclude=excl) == ["src/a.py"]
    explicit = discover(str(tmp_path), [str(tmp_path / "vendor" / "v.py")], excl)
    assert explicit == []


def test_symlinks_are_not_followed_out_of_the_root(tmp_path):
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    _tree(root, {"src/a.py": ""})
    _tree(outside, {"secret.py": "", "pkg/b.py": ""})
    os.symlink(outside / "secret.py", root / "src" / "link_out.py")
    os.symlink(outside / "pkg", root / "src" / "dirlink")
    os.symlink(root / "src", root / "src" / "loop")
    os.symlink(root / "src" / "a.py", root / "src" / "inside_link.py")
    assert _paths(root) == ["src/a.py", "src/inside_link.py"]


def test_directory_named_like_a_python_file(tmp_path):
    _tree(tmp_path, {"weird.py/inner.py": ""})
    assert _paths(tmp_path) == ["weird.py/inner.py"]
