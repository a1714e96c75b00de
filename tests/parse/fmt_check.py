#!/usr/bin/env python3
"""Checks crmmap fmt on one file.

  fmt_check.py roundtrip CRMMAP FILE.map
      fmt succeeds; formatting its output again changes nothing; the output's
      AST dump (without spans) equals the input's; every comment is kept.
  fmt_check.py golden CRMMAP FILE.map EXPECTED
      the formatted text equals EXPECTED (and roundtrip holds).
"""
import os
import subprocess
import sys
import tempfile


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True,
                          env=dict(os.environ, NO_COLOR="1"))


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def comments(text):
    """The '#' comments of a .map text, outside strings, trailing blanks dropped."""
    found, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] not in '"\n':
                i += 2 if text[i] == '\\' else 1
            i += 1
        elif c == '#':
            end = text.find('\n', i)
            end = n if end < 0 else end
            found.append(text[i:end].rstrip(' \t\r'))
            i = end
        else:
            i += 1
    return sorted(found)


def dump(bin_, path):
    r = run([bin_, "check", "--dump-ast", path])
    if r.returncode != 0:
        fail(f"check --dump-ast {path} exited {r.returncode}: {r.stderr.decode()}")
    return r.stdout


def roundtrip(bin_, path):
    r = run([bin_, "fmt", path])
    if r.returncode != 0 or r.stderr:
        fail(f"fmt exited {r.returncode}: {r.stderr.decode()}")
    once = r.stdout
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "once.map")
        with open(out, "wb") as f:
            f.write(once)
        twice = run([bin_, "fmt", out]).stdout
        if twice != once:
            fail("not idempotent: formatting the output again changed it:\n"
                 + twice.decode(errors="replace"))
        if dump(bin_, path) != dump(bin_, out):
            fail("the formatted file means something else (AST dumps differ)")
    with open(path, "rb") as f:
        source = f.read().decode()
    if comments(source) != comments(once.decode()):
        fail(f"comments differ:\n  in:  {comments(source)}\n  out: {comments(once.decode())}")
    return once


def main():
    mode, bin_, path = sys.argv[1:4]
    once = roundtrip(bin_, path)
    if mode == "golden":
        with open(sys.argv[4], "rb") as f:
            expected = f.read()
        if once != expected:
            sys.stdout.write("FAIL: fmt output differs from the expected text. Got:\n")
            sys.stdout.write(once.decode(errors="replace"))
            sys.exit(1)
    print("ok")


main()
