#!/usr/bin/env python3
"""cli_check.py CRMMAP: the command line's promises around check.

Usage errors exit 2 with a usage line; --help and --version exit 0;
diagnostics are coloured only on a terminal and never with NO_COLOR set."""
import os
import pty
import subprocess
import sys
import tempfile

bin_ = os.path.abspath(sys.argv[1])
failures = []


def expect(args, status, stream_has=None, env=None):
    r = subprocess.run([bin_] + args, capture_output=True, env=env or dict(os.environ, NO_COLOR="1"))
    text = r.stdout.decode() + r.stderr.decode()
    if r.returncode != status:
        failures.append(f"crmmap {' '.join(args)}: exit {r.returncode}, expected {status}\n{text}")
    if stream_has and stream_has not in text:
        failures.append(f"crmmap {' '.join(args)}: output lacks {stream_has!r}:\n{text}")


def stderr_on_tty(args, env):
    """Runs with stderr on a pseudo-terminal; returns what it printed there."""
    master, slave = pty.openpty()
    r = subprocess.run([bin_] + args, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return r.returncode, b"".join(chunks).decode(errors="replace")


with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, "bad.map")
    with open(bad, "w") as f:
        f.write('mapping "m"\nentity A create { X = }\n')
    expect([], 2, "Usage: crmmap COMMAND")
    expect(["--help"], 0, "Usage: crmmap COMMAND")
    expect(["--version"], 0, "crmmap ")
    expect(["frobnicate"], 2, "unknown command 'frobnicate'")
    expect(["check"], 2, "no .map file given")
    expect(["check", "--bogus", bad], 2, "unknown option '--bogus'")
    expect(["check", "--format", "xml", bad], 2, "unknown --format 'xml'")
    # One scan (cli/common/cli_opts.h) words an unknown option and a missing
    # value alike in every command.
    for cmd, opt in ((["check"], "--format"), (["fmt"], "--format"), (["compile"], "-o"), (["doc"], "--output"),
                     (["test"], "--junit"), (["schema", "import"], "--system"), (["schema", "pull"], "--url"),
                     (["run"], "--input"), (["plan"], "--input"), (["doctor"], "--url")):
        # check and fmt take their options before the files
        expect(cmd + ([opt] if cmd[0] in ("check", "fmt") else [bad, opt]), 2, f"option '{opt}' needs a value")
        expect(cmd + ["--bogus", bad], 2, "unknown option '--bogus'")
    expect(["check", "--help"], 0, "Usage: crmmap check")
    # compile and doc write through one driver (cli/common/out_cmd.h): a file
    # that cannot be written is the same diagnostic and exit 4 for both.
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "salesforce",
                           "fair-leads.map")
    for cmd, name in (["compile", "x.mapc"], ["doc", "x.html"]):
        out = os.path.join(tmp, "no-such-folder", name)
        expect([cmd, example, "-o", out], 4, f"{out}: error: cannot write the file: ")
    expect(["fmt", "--help"], 0, "Usage: crmmap fmt")
    expect(["check", bad], 1, "bad.map:2:23: error[E0001]")

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    status, out = stderr_on_tty(["check", bad], env)
    if status != 1 or "\x1b[" not in out:
        failures.append(f"no colour on a terminal (exit {status}): {out!r}")
    status, out = stderr_on_tty(["check", bad], dict(env, NO_COLOR="1"))
    if status != 1 or "\x1b[" in out or "error[E0001]" not in out:
        failures.append(f"colour despite NO_COLOR (exit {status}): {out!r}")
    r = subprocess.run([bin_, "check", bad], capture_output=True, env=env)
    if b"\x1b[" in r.stderr:
        failures.append("colour when stderr is not a terminal")

for f in failures:
    print("FAIL:", f)
print("ok" if not failures else f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
