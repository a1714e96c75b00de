#!/usr/bin/env python3
"""The folder graph of the product sources: which folder includes from which.

Each folder has a level; a file may include only headers of its own folder or
of a folder with a lower level (no arrow up, and so no cycle). A header is
found by its name, as the build's include paths find it. Prints the graph
(for docs/architecture.md) and every include that breaks the order.
"""
import os
import re
import sys

# Lowest first. The grammar and compiler/syntax are one layer: the parser
# builds the AST that syntax/ defines, and syntax/ reads the parser's tokens.
LEVELS = [
    ["runtime/base"],
    ["runtime/vm"],
    ["runtime/crm"],
    ["grammar", "compiler/syntax"],
    ["compiler/schema"],
    ["compiler/check"],
    ["compiler/emit", "compiler/doc"],
    ["cli/common"],
    ["cli/link", "cli/test", "cli/serve"],
    ["cli/lsp"],          # above cli/test: show payload runs test cases
    ["cli"],
]
LEVEL = {d: i for i, ds in enumerate(LEVELS) for d in ds}
ONE_MODULE = {"grammar", "compiler/syntax"}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def main(root):
    home = {}
    files = []
    for folder in LEVEL:
        path = os.path.join(root, folder)
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if os.path.isfile(full) and name.endswith((".c", ".h", ".def", ".y", ".l")):
                home[name] = folder
                files.append((folder, full))
    edges, bad = {}, []
    for folder, full in files:
        for inc in INCLUDE.findall(open(full, encoding="utf-8", errors="replace").read()):
            to = home.get(os.path.basename(inc))
            if to is None:
                if inc not in ("parser.h", "lexer.h", "countries.inc"):     # generated into the build tree
                    bad.append(f"{os.path.relpath(full, root)}: includes \"{inc}\", which no product folder has")
                continue
            if to == folder:
                continue
            edges.setdefault(folder, set()).add(to)
            if LEVEL[to] >= LEVEL[folder] and not {to, folder} <= ONE_MODULE:
                bad.append(f"{os.path.relpath(full, root)}: includes \"{inc}\" from {to}, "
                           f"which is not below {folder}")
    for folder in sorted(edges, key=lambda d: LEVEL[d]):
        print(f"{folder} -> {', '.join(sorted(edges[folder], key=lambda d: -LEVEL[d]))}")
    for b in bad:
        print(b)
    print(f"folders: {len(LEVEL)}, arrows: {sum(map(len, edges.values()))}, against the order: {len(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
