"""Which files of the `mitigate` package a script needs: its imports, followed transitively
(function-level imports included), resolved to paths relative to the project root."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src"


def _module_file(module: str) -> Path | None:
    base = PACKAGE / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _package_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = rel.parts[:-1] if rel.name != "__init__" else rel.parts[:-1]
    return ".".join(parts if path.name != "__init__.py" else rel.parts[:-1])


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    in_package = path.is_relative_to(PACKAGE)
    package = _package_of(path) if in_package else ""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return {m for m in found if m == "mitigate" or m.startswith("mitigate.")}


def package_files(script: Path) -> set[Path]:
    """Files of `mitigate` that `script` imports, directly or through other package files."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        for module in _imported_modules(todo.pop()):
            parts = module.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
                file = _module_file(".".join(parts[:i]))
                if file and file not in seen:
                    seen.add(file)
                    todo.append(file)
    return {f.relative_to(ROOT) for f in seen}
