"""Each stage's code deps in dvc.yaml, from its imports: the stage script, every file of the
`mitigate` package it imports (followed transitively, function-level imports included) and the
methods it looks up in the lazy registry (`training.method.MethodRegistry`) by a name from its
command or params.

    python -m mitigate.dvc_deps          # rewrite the code deps of every scenario's dvc.yaml
    python -m mitigate.dvc_deps --check  # exit 1 and name the files that differ (the tests run it)

Only the code deps are rewritten (paths under stages/ and src/, placed first under `deps:`); data
deps, comments and everything else stay as written.
"""
import argparse
import ast
import os
import re
import shlex
import sys
from pathlib import Path

import yaml

from .training.method import BUILT_IN_METHODS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src"
CODE_FOLDERS = (ROOT / "stages", PACKAGE)
SCENARIOS = ("dvc.yaml", "noisy/dvc.yaml")  # the bias track (default) and the noisy-label track
METHOD_MODULE = "src/mitigate/methods/{}.py"


def method_lookups(script: str, args: list[str]) -> list[str]:
    """Names of the methods a stage fetches from the registry: a `${...}` reference where dvc.yaml
    or params give the name."""
    return {"stages/train.py": args[:1],  # ${key} of foreach
            "stages/train_ceiling.py": ["vanilla"],
            "stages/train_judges.py": ["vanilla"],
            "stages/split_noise.py": ["${split_noise.method}"],
            }.get(script, [])


def _module_file(module: str) -> Path | None:
    base = PACKAGE / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imported_modules(path: Path) -> set[str]:
    """`mitigate` modules that `path` imports, relative imports resolved."""
    package = ".".join(path.relative_to(PACKAGE).parent.parts) if path.is_relative_to(PACKAGE) else ""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                module = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return {m for m in found if m == "mitigate" or m.startswith("mitigate.")}


def package_files(*scripts: Path) -> set[Path]:
    """Files of `mitigate` that `scripts` import, directly or through other package files,
    relative to the project root."""
    seen: set[Path] = set()
    todo = list(scripts)
    while todo:
        for module in _imported_modules(todo.pop()):
            parts = module.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
                file = _module_file(".".join(parts[:i]))
                if file and file not in seen:
                    seen.add(file)
                    todo.append(file)
    return {f.relative_to(ROOT) for f in seen}


def stage_code_deps(script: str, args: list[str]) -> list[str]:
    """The script, the package files it imports, then the method modules it looks up (with the
    files those import); paths relative to the project root."""
    names = method_lookups(script, args)
    imported = package_files(ROOT / script)
    looked_up = [METHOD_MODULE.format(name) for name in names]
    # what a looked-up method imports: for a `${...}` name, what any built-in method might
    candidates = list(BUILT_IN_METHODS) if any("${" in name for name in names) else names
    # a method module another one imports (gce's Vanilla) is a dep of every item of a foreach
    imported |= package_files(*(ROOT / METHOD_MODULE.format(name) for name in candidates))
    shared = sorted(str(p) for p in imported)
    return [script, *shared, *(p for p in looked_up if p not in shared)]


def _is_code(dep: str, folder: Path) -> bool:
    path = (folder / dep).resolve()
    return any(path.is_relative_to(code) for code in CODE_FOLDERS)


def _relative(path: str, folder: Path) -> str:
    return os.path.relpath(ROOT / path, folder)


def rewrite(dvc_yaml: Path, text: str | None = None) -> str:
    """The text of `dvc_yaml` (or `text` in its place) with each stage's code deps regenerated."""
    folder, text = dvc_yaml.parent, dvc_yaml.read_text() if text is None else text
    stages = yaml.safe_load(text)["stages"]
    lines, out, stage = text.splitlines(), [], None
    in_deps, deps_indent = False, 0
    for line in lines:
        name = re.match(r"^  (\w+):\s*$", line)
        if name:
            stage, in_deps = name.group(1), False
        item = re.match(r"^(\s*)- ([^\s#]+)", line)
        if in_deps and item and len(item.group(1)) == deps_indent:
            if _is_code(item.group(2), folder):
                continue
        elif in_deps and line.strip() and not line.strip().startswith("#"):
            in_deps = False
        out.append(line)
        deps = re.match(r"^(\s*)deps:\s*$", line)
        if deps and stage in stages:
            body = stages[stage].get("do", stages[stage])
            script, *args = shlex.split(body["cmd"])[1:]
            root_script = str((folder / script).resolve().relative_to(ROOT))
            deps_indent = len(deps.group(1)) + 2
            out += [" " * deps_indent + "- " + _relative(dep, folder) for dep in stage_code_deps(root_script, args)]
            in_deps = True
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report the dvc.yaml files that differ")
    stale = []
    check = parser.parse_args().check
    for name in SCENARIOS:
        path = ROOT / name
        text = rewrite(path)
        if text != path.read_text():
            stale.append(name)
            if not check:
                path.write_text(text)
    if check and stale:
        sys.exit(f"error: code deps out of date in {', '.join(stale)}; run `python -m mitigate.dvc_deps`")
    print(f"{'stale' if check else 'rewrote'}: {', '.join(stale) or 'none'}")


if __name__ == "__main__":
    main()
