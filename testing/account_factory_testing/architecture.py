"""The provider package's import graph, its layers and their rules, and the drawing of it in
docs/development.md (`make drawing` rewrites it; tests/unit/test_architecture.py fails when it is stale).

Layers, top to bottom: the package root, the front doors (the pinned modules at the top), the wings
(`accounts/`, `baselines/`) beside the dynamic front door's own kit (`dynamic/`), and `core/`. An import
may run down or sideways within a layer, never up; a wing never imports another wing (nor `dynamic/`,
nor it a wing); no module imports another's `_private` name; nothing below the root imports the root;
the emulator and the provider import nothing of each other.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE_NAME = "alicloud_account_factory"
REPOSITORY = Path(__file__).resolve().parents[2]
PACKAGE = REPOSITORY / "provider" / PACKAGE_NAME
DEVELOPMENT_MD = REPOSITORY / "docs" / "development.md"

ROOT = "root"
FRONT_DOOR = "front door"
WING = "wing"
CORE = "core"
EMULATOR = "emulator"
#: Higher runs above lower: an import from a lower layer into a higher one runs back up.
RANKS = {ROOT: 4, FRONT_DOOR: 3, WING: 2, CORE: 1}
#: The subpackages of the wing layer; each is its own wing (`dynamic` is the dynamic front door's kit).
WINGS = ("accounts", "baselines", "dynamic")

DRAWING_BEGIN = "<!-- import-graph:begin (make drawing writes this; tests/unit/test_architecture.py checks it) -->"
DRAWING_END = "<!-- import-graph:end -->"
MAP_BEGIN = "<!-- module-map:begin -->"
MAP_END = "<!-- module-map:end -->"


@dataclass(frozen=True)
class Import:
    """One import statement's edge: `importer` imports `imported` (modules by their dotted name inside
    the package, "" for the root), naming `names` from it (empty for a whole-module import)."""

    importer: str
    imported: str
    names: tuple[str, ...]
    line: int

    def __str__(self) -> str:
        what = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.importer or PACKAGE_NAME} line {self.line} imports {self.imported or PACKAGE_NAME}{what}"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name ("" is the root `__init__`)."""
    return {module_name(path, package): path for path in sorted(package.rglob("*.py"))}


def _is_package(name: str, known: dict[str, Path]) -> bool:
    return name in known and known[name].name == "__init__.py"


def imports(package: Path = PACKAGE) -> list[Import]:
    """Every import inside the package (relative and absolute, at any depth: function-level and
    TYPE_CHECKING imports too); `from pkg import sub` is an import of the module `pkg.sub`."""
    known = modules(package)
    found: list[Import] = []
    for name, path in known.items():
        this_package = name if _is_package(name, known) else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == PACKAGE_NAME or alias.name.startswith(PACKAGE_NAME + "."):
                        found.append(Import(name, alias.name[len(PACKAGE_NAME) + 1:], (), node.lineno))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = this_package.split(".") if this_package else []
                    base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                    target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                elif node.module and (node.module == PACKAGE_NAME or node.module.startswith(PACKAGE_NAME + ".")):
                    target = node.module[len(PACKAGE_NAME) + 1:]
                else:
                    continue
                names: list[str] = []
                for alias in node.names:
                    submodule = f"{target}.{alias.name}" if target else alias.name
                    if submodule in known:
                        found.append(Import(name, submodule, (), node.lineno))
                    else:
                        names.append(alias.name)
                if names:
                    found.append(Import(name, target, tuple(names), node.lineno))
    return found


def layer(name: str) -> str:
    top = name.split(".")[0]
    if name == "":
        return ROOT
    if top == "emulator":
        return EMULATOR
    if top == "core":
        return CORE
    if top in WINGS:
        return WING
    return FRONT_DOOR


def wing(name: str) -> str | None:
    top = name.split(".")[0]
    return top if top in WINGS else None


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))




def private_imports(edges: list[Import]) -> set[tuple[str, str, str]]:
    """(importer, module, name) of every import of another module's `_private` name."""
    return {(e.importer, e.imported, n) for e in edges for n in e.names if _private(n) and e.imported != e.importer}


def violations(edges: list[Import], allowed: frozenset[tuple[str, str, str]] = frozenset()) -> list[str]:
    """Each import that breaks a rule, said with its rule (`allowed`: private imports let through)."""
    found = []
    for edge in edges:
        src, dst = layer(edge.importer), layer(edge.imported)
        if (src == EMULATOR) != (dst == EMULATOR):
            found.append(f"{edge}: the emulator and the provider share nothing")
        elif edge.imported == "" and edge.importer != "":
            found.append(f"{edge}: nothing below the package root imports it")
        elif src != EMULATOR and RANKS[src] < RANKS[dst]:
            found.append(f"{edge}: an import back up ({src} -> {dst})")
        elif wing(edge.importer) and wing(edge.imported) and wing(edge.importer) != wing(edge.imported):
            found.append(f"{edge}: a wing imports another wing ({wing(edge.importer)} -> {wing(edge.imported)})")
        private = [n for n in edge.names if _private(n) and (edge.importer, edge.imported, n) not in allowed]
        if private and edge.imported != edge.importer:
            found.append(f"{edge}: imports another module's private name(s) {', '.join(private)}")
    return found


# --- the drawing -------------------------------------------------------------------------------

GROUPS = (("front doors", lambda n: layer(n) in (ROOT, FRONT_DOOR)),
          ("dynamic/", lambda n: wing(n) == "dynamic"),
          ("accounts/", lambda n: wing(n) == "accounts"),
          ("baselines/", lambda n: wing(n) == "baselines"),
          ("core/", lambda n: layer(n) == CORE))


def _node(name: str) -> str:
    return "m_" + (re.sub(r"\W", "_", name) or "root")


def _label(name: str) -> str:
    return name.rpartition(".")[2] if name else "__init__"


def drawing(edges: list[Import], package: Path = PACKAGE) -> str:
    """A Mermaid `graph TD` of the provider's modules by layer (the emulator, which imports nothing of
    them, as one box), each import once."""
    names = [n for n in modules(package) if layer(n) != EMULATOR and not n.endswith("__init__")]
    lines = ["```mermaid", "graph TD"]
    for title, member in GROUPS:
        inside = [n for n in names if member(n) and not (n in WINGS or n == "core")]
        lines.append(f'  subgraph {_node(title)}["{title}"]')
        lines += [f'    {_node(n)}["{_label(n)}"]' for n in inside]
        lines.append("  end")
    lines.append('  emulator["emulator/ (its own package: imports nothing of the provider)"]')
    pairs = sorted({(e.importer, e.imported) for e in edges
                    if layer(e.importer) != EMULATOR and layer(e.imported) != EMULATOR
                    and e.importer != e.imported and e.imported not in (*WINGS, "core")})
    lines += [f"  {_node(a)} --> {_node(b)}" for a, b in pairs]
    lines.append("```")
    return "\n".join(lines)


def between(text: str, begin: str, end: str) -> str:
    start = text.index(begin) + len(begin)
    return text[start:text.index(end, start)]


def with_drawing(text: str, edges: list[Import]) -> str:
    start = text.index(DRAWING_BEGIN) + len(DRAWING_BEGIN)
    return text[:start] + "\n" + drawing(edges) + "\n" + text[text.index(DRAWING_END, start):]


# --- the module map ----------------------------------------------------------------------------

MAP_ENTRY = re.compile(r"^\s*[-*] `([^`]+)`", re.MULTILINE)


def mapped_paths(text: str) -> list[str]:
    """The paths the module map names (relative to the package: `core/errors.py`, or `emulator/` for
    every module under it)."""
    return MAP_ENTRY.findall(between(text, MAP_BEGIN, MAP_END))


def map_problems(text: str, package: Path = PACKAGE) -> list[str]:
    named = mapped_paths(text)
    files = {path.relative_to(package).as_posix() for path in package.rglob("*.py")}
    problems = [f"the module map names {p}, which does not exist" for p in named
                if p not in files and not (p.endswith("/") and any(f.startswith(p) for f in files))]
    covered = {f for f in files for p in named if f == p or (p.endswith("/") and f.startswith(p))}
    problems += [f"the module map misses {f}" for f in sorted(files - covered)]
    return problems


def main(argv: list[str]) -> int:
    edges = imports()
    if argv[1:] == ["--write"]:
        DEVELOPMENT_MD.write_text(with_drawing(DEVELOPMENT_MD.read_text(), edges))
        print(f"wrote the import drawing into {DEVELOPMENT_MD.relative_to(REPOSITORY)}")
    else:
        print(drawing(edges))
    problems = violations(edges)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
