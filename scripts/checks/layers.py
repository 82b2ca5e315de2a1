#!/usr/bin/env python3
"""Checks the module layering that docs/ARCHITECTURE.md declares.

The layer table in docs/ARCHITECTURE.md (rows `| N | module, module |` under the heading
"## Layers") is the one statement of which module may use which: a module may include the
headers of modules on its own or a lower layer, never a higher one. This script reads every
`#include "gptbench/<module>/..."` and `#include "../<module>/..."` in src/, include/, kernels/
and every path into another module's folder in the CMake files, and fails (exit 1) on
  - an include or build-file path that reaches up a layer,
  - a cycle between modules (also among modules of one layer),
  - a module that the code has but the table does not list.
It prints the module graph either way. Usage: scripts/checks/layers.py [REPO_ROOT]
"""
import re
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
INCLUDE = re.compile(r'^\s*#\s*include\s+"(?:gptbench/([a-z_]+)/|\.\./([a-z_]+)/)')
CMAKE_PATH = re.compile(r'(?:PROJECT_SOURCE_DIR|CMAKE_SOURCE_DIR)\}/(src|kernels|include/gptbench)/?([a-z_]*)')


def read_layers():
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = doc.split("## Layers", 1)
    if len(section) != 2:
        sys.exit("docs/ARCHITECTURE.md: no '## Layers' section")
    rank = {}
    for line in section[1].split("\n## ", 1)[0].splitlines():
        m = re.match(r"^\|\s*(\d+)\s*\|([^|]+)\|", line)
        if m:
            for name in re.findall(r"[a-z_]+", m.group(2)):
                rank[name] = int(m.group(1))
    if not rank:
        sys.exit("docs/ARCHITECTURE.md: the '## Layers' table has no rows")
    return rank


def module_of(path: Path):
    rel = path.relative_to(ROOT).parts
    if rel[0] == "kernels":
        return "kernels"
    if rel[0] == "src" and len(rel) > 2:
        return rel[1]
    if rel[:2] == ("include", "gptbench") and len(rel) > 3:
        return rel[2]
    return None


def edges():
    found = {}  # (from, to) -> first place
    for top in ("src", "include", "kernels"):
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file():
                continue
            mod = module_of(path)
            if mod is None:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.name == "CMakeLists.txt":
                for no, line in enumerate(text.splitlines(), 1):
                    for kind, name in CMAKE_PATH.findall(line):
                        target = "kernels" if kind == "kernels" else name
                        if target and target != mod:
                            found.setdefault((mod, target), f"{path.relative_to(ROOT)}:{no} (build file)")
                continue
            if path.suffix not in (".h", ".cpp", ".cu", ".cuh"):
                continue
            for no, line in enumerate(text.splitlines(), 1):
                m = INCLUDE.match(line)
                if m:
                    target = m.group(1) or m.group(2)
                    if target != mod:
                        found.setdefault((mod, target), f"{path.relative_to(ROOT)}:{no}")
    return found


def find_cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if state.get(m) is None:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if state.get(n) is None:
            c = visit(n)
            if c:
                return c
    return None


def main():
    rank = read_layers()
    found = edges()
    graph = {}
    for (a, b) in found:
        graph.setdefault(a, set()).add(b)
    problems = []
    modules = {m for e in found for m in e} | {module_of(p) for p in (ROOT / "src").glob("*/x")}
    for m in sorted(x for x in modules if x):
        if m not in rank:
            problems.append(f"module '{m}' is not in docs/ARCHITECTURE.md's layer table")
    for (a, b), where in sorted(found.items()):
        if a in rank and b in rank and rank[b] > rank[a]:
            problems.append(f"{where}: {a} (layer {rank[a]}) uses {b} (layer {rank[b]}), a higher layer")
    cycle = find_cycle(graph)
    if cycle:
        problems.append("cycle: " + " -> ".join(cycle))
    for m in sorted(rank, key=lambda x: (rank[x], x)):
        uses = sorted(graph.get(m, ()), key=lambda x: (rank.get(x, 99), x))
        print(f"layer {rank[m]} {m}: {', '.join(uses) if uses else '-'}")
    print(f"{len(rank)} modules, {len(found)} module edges")
    for p in problems:
        print("LAYERS: " + p)
    print("layers: " + ("FAILED" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
