#!/usr/bin/env python3
"""bad_input.py CRMMAP CASE

Generates one hostile input (named by CASE), runs the parser alone
(`crmmap check --dump-ast`, which skips the type check) and `crmmap fmt` on
it, and checks the outcome: the expected exit status; a first diagnostic
`FILE:LINE:COL: error[E0001]: ...` at the expected place with the expected
message; no sanitizer report, crash or timeout; fmt prints nothing for a
broken file. `bad_input.py --list` names the cases."""
import os
import random
import re
import subprocess
import sys
import tempfile

MIB = 1024 * 1024
N = 10000


def nested(open_, close, inner="1"):
    return 'mapping "m"\nentity A create {\n  X = ' + open_ * N + inner + close * N + "\n}\n"


# case: () -> (input bytes, exit status, (line, col) of the first diagnostic,
# message start); built only for the case that runs.
CASES = {
    "empty": lambda: (b"", 1, (1, 1), "the file declares no mapping"),
    "blank": lambda: (b" \n\t\r\n\n", 1, (1, 1), "the file declares no mapping"),
    "comment_only_no_newline": lambda: (b"# just a comment", 1, (1, 1), "the file declares no mapping"),
    "comment_at_eof": lambda: (b'mapping "m"\n# the end, no newline', 0, None, None),
    "binary_junk": lambda: (bytes(random.Random(7).randrange(256) for _ in range(16384)), 1, None, None),
    "nul_byte": lambda: (b'mapping "m"\nentity A create {\n  X = "a\x00b"\n}\n', 1, (3, 9), "NUL byte in source"),
    "invalid_utf8_overlong": lambda: (b'mapping "\xc0\xaf"\n', 1, (1, 10), "invalid UTF-8 (byte 0xc0)"),
    "invalid_utf8_surrogate": lambda: (b'mapping "m"\n# \xed\xa0\x80\n', 1, (2, 3), "invalid UTF-8 (byte 0xed)"),
    "invalid_utf8_truncated": lambda: (b'mapping "m" # \xe2\x82', 1, (1, 15), "invalid UTF-8 (byte 0xe2)"),
    "unterminated_string": lambda: (b'mapping "abc', 1, (1, 9), "unterminated string"),
    "unterminated_string_escape": lambda: (b'mapping "abc\\', 1, (1, 9), "unterminated string"),
    "unterminated_block": lambda: (b'mapping "m"\nentity A create {\n  X = 1\n', 1, (3, 8), "expected"),
    "file_10mb": lambda: (b'mapping "m"\n' + (b"# " + b"x" * 97 + b"\n") * (10 * MIB // 100), 1,
                  (41944, 93), "file larger than the limit of 4194304 bytes (4 MiB)"),
    "parens_10000": lambda: (nested("(", ")").encode(), 1, (3, 262), "nesting deeper than 256 levels"),
    "lists_10000": lambda: (nested("[", "]").encode(), 1, (3, 262), "nesting deeper than 256 levels"),
    "calls_10000": lambda: (nested("f(", ")").encode(), 1, (3, 518), "nesting deeper than 256 levels"),
    "case_10000": lambda: (nested("case { when a then ", " }").encode(), 1, (3, 4857), "nesting deeper than 256 levels"),
    "braces_10000": lambda: (b'mapping "m"\n' + b"{" * N + b"}" * N, 1, (2, 1), "expected a declaration"),
    "not_10000": lambda: (nested("not ", "").encode(), 1, None, "memory exhausted: the expression is nested too deeply"),
    "minus_10000": lambda: (nested("- ", "").encode(), 1, None, "memory exhausted: the expression is nested too deeply"),
    "if_10000": lambda: (nested("if a then ", " else 2").encode(), 1, None, "memory exhausted: the expression is nested too deeply"),
    "chain_20000": lambda: (('mapping "m"\nentity A create {\n  X = 1' + " + 1" * 20000 + "\n}\n").encode(),
                     1, (3, 7), "expression nested deeper than 256 levels"),
    "long_line_1mb": lambda: (('mapping "m"\nentity A create {\n  X = "' + "x" * MIB + '"\n}\n').encode(), 0, None, None),
    "many_items": lambda: (('mapping "m"\n' + "".join(f"entity E{i} create {{\n  X = {i}\n}}\n" for i in range(5000))).encode(),
                   0, None, None),
}

DIAG = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): error\[E0001\]: (?P<msg>.*)$", re.M)


def main():
    bin_, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    data, status, where, message = CASES[case]()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, case + ".map")
        with open(path, "wb") as f:
            f.write(data)
        env = dict(os.environ, NO_COLOR="1")
        for cmd in (["check", "--dump-ast"], ["fmt"]):
            r = subprocess.run([bin_] + cmd + [case + ".map"], cwd=tmp, capture_output=True,
                               env=env, timeout=60)
            err = r.stderr.decode("utf-8", errors="replace")
            label = "crmmap " + cmd[0]
            if r.returncode != status:
                failures.append(f"{label}: exit {r.returncode}, expected {status}\n{err[:2000]}")
            if "Sanitizer" in err or "runtime error" in err:
                failures.append(f"{label}: sanitizer report\n{err[:4000]}")
            if status == 0:
                continue
            if cmd == ["fmt"] and r.stdout:
                failures.append(f"{label}: printed {len(r.stdout)} bytes for a broken file")
            m = DIAG.search(err)
            if not m or m.group("file") != case + ".map":
                failures.append(f"{label}: no diagnostic with a location:\n{err[:2000]}")
                continue
            if where and (int(m.group("line")), int(m.group("col"))) != where:
                failures.append(f"{label}: diagnostic at {m.group('line')}:{m.group('col')}, expected {where}")
            if message and not m.group("msg").startswith(message):
                failures.append(f"{label}: message {m.group('msg')!r}, expected {message!r}...")
    for f in failures:
        print("FAIL:", f)
    print("ok" if not failures else f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print(";".join(CASES))
    else:
        main()
