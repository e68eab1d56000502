"""`python -m tools.modules`: who imports each digitlab module, read from the code itself.

Prints the "imported by" column of docs/modules.md's digitlab table, found by parsing every
import in digitlab/, tools/, classroom/, the root conftest.py and the notebooks' code cells;
`--write` puts it into docs/modules.md. tests/test_project.py checks that the page says what
the code does.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "modules.md"
# Names the package itself re-exports, by the module that holds them.
REEXPORTED = {"tf": "_tf", "keras": "_tf", "pick": "config", "is_quick": "config",
              "start_tensorflow": "quiet"}


def modules() -> list[str]:
    """The package's modules, by name."""
    return sorted(p.stem for p in (ROOT / "digitlab").glob("*.py") if p.stem != "__init__"
                  and p.stem != "__main__")


def imported(source: str) -> set[str]:
    """The digitlab modules a piece of Python imports (magics and shell lines skipped)."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module == "digitlab":
            found |= {REEXPORTED.get(a.name, a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("digitlab."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names
                      if a.name.startswith("digitlab.")}
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "digitlab"):  # `import digitlab`, then digitlab.NAME
            found.add(REEXPORTED.get(node.attr, node.attr))
    return found


def importers() -> dict[str, set[str]]:
    """For each module, who imports it: `module`, `tools.name`, `classroom/file.py`, the root
    `conftest.py`, or a notebook's number."""
    import nbformat

    sources = {f"`{p.stem}`": p.read_text() for p in (ROOT / "digitlab").glob("*.py")}
    sources |= {f"`tools.{p.stem}`": p.read_text() for p in (ROOT / "tools").glob("*.py")}
    sources |= {f"`classroom/{p.relative_to(ROOT / 'classroom')}`": p.read_text()
                for p in (ROOT / "classroom").rglob("*.py")}
    sources["the root `conftest.py`"] = (ROOT / "conftest.py").read_text()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        sources[path.name[:2]] = "\n".join(c.source for c in cells if c.cell_type == "code")
    found: dict[str, set[str]] = {name: set() for name in modules()}
    for who, source in sources.items():
        for name in imported(source) & found.keys():
            if who != f"`{name}`":
                found[name].add(who)
    return found


def column(who: set[str]) -> str:
    """One "imported by" cell: notebooks first (runs of numbers joined), then modules."""
    numbers = sorted(int(w) for w in who if w.isdigit())
    runs, parts = [], []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    spans = [f"{a:02d}" if a == b else f"{a:02d}–{b:02d}" for a, b in runs]
    if spans:
        one = len(numbers) == 1
        parts.append(("notebook " if one else "notebooks ") + ", ".join(spans))
    parts += sorted(w for w in who if not w.isdigit())
    return ", ".join(parts) or "the console script only"


def written(text: str) -> str:
    """docs/modules.md with each "imported by" cell as the code has it."""
    found, section, lines = importers(), "", []
    for line in text.splitlines():
        section = line if line.startswith("## ") else section
        match = re.match(r"(\| `(\w+)` \| .* \| )(.*)( \|)$", line)
        if match and match[2] in found and section.startswith("## `digitlab`"):
            line = match[1] + column(found[match[2]]) + match[4]
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.modules", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="update docs/modules.md")
    args = parser.parse_args(argv)
    found = importers()
    if args.write:
        DOC.write_text(written(DOC.read_text()))
    for name in modules():
        print(f"{name:12s} {column(found[name])}")


if __name__ == "__main__":
    main()
