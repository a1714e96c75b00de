#!/usr/bin/env python3
"""The man page and the bash completion never drift from the command line.

Every command registered in cli/commands.c must have its own section in
docs/crmmap.1 ('.SS "crmmap NAME ..."'), named in the SYNOPSIS, holding every
long flag its --help text shows; the completion must offer the command and
those flags. The page must render with groff and man without one warning.

usage: man_page.py CRMMAP SOURCE_DIR
"""
import os
import re
import subprocess
import sys

crmmap, src = sys.argv[1], sys.argv[2]
page_path = os.path.join(src, "docs", "crmmap.1")
completion = os.path.join(src, "tools", "crmmap-completion.bash")
problems = []

registered = re.findall(r"&cmd_(\w+)\s*,", open(os.path.join(src, "cli", "commands.c")).read())
if not registered:
    sys.exit("FAIL: no command found in cli/commands.c")

top = subprocess.run([crmmap, "--help"], capture_output=True, text=True, check=True).stdout
listed = re.findall(r"^  (\S+)  ", top.split("Commands:", 1)[1].split("Options:", 1)[0], re.M)
if sorted(listed) != sorted(registered):
    problems.append(f"crmmap --help lists {listed}, cli/commands.c registers {registered}")

FLAG = r"--[a-z][a-z0-9-]*"


def flags_of(text):
    return set(re.findall(r"(?<![\w-])" + FLAG, text))


def option_flags(text):
    """Flags of the command itself: in its usage lines and option table, not
    those its prose mentions of other commands (`run --dry-run`)."""
    usage = text.split("\n\n", 1)[0]
    table = "\n".join(line for line in text.splitlines() if re.match(r"\s+--?[a-z]", line))
    return flags_of(usage + "\n" + table)


def plain(roff):
    """The page's text with the escapes the page uses taken out."""
    roff = roff.replace("\\-", "-").replace("\\(em", "-")
    return re.sub(r"\\f[BIRP]", "", roff)


page = plain(open(page_path).read())
synopsis = page.split(".SH SYNOPSIS", 1)[1].split(".SH DESCRIPTION", 1)[0]
synopsis = re.sub(r"\s+", " ", re.sub(r"^\.\w+ ?", "", synopsis, flags=re.M))
sections = {}
for m in re.finditer(r'^\.SS "crmmap (\S+)[^"]*"\n(.*?)(?=^\.S[SH] )', page, re.M | re.S):
    sections[m.group(1).split("|")[0]] = m.group(0)

for flag in flags_of(top):
    if not re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", page):
        problems.append(f"crmmap --help: {flag} is not in the man page")

comp_commands = subprocess.run(
    ["bash", "-c", 'source "$1"; COMP_WORDS=(crmmap ""); COMP_CWORD=1; _crmmap; echo "${COMPREPLY[*]}"',
     "-", completion], capture_output=True, text=True, check=True).stdout.split()

for name in registered:
    help_text = subprocess.run([crmmap, name, "--help"], capture_output=True, text=True)
    if help_text.returncode != 0:
        problems.append(f"crmmap {name} --help exits {help_text.returncode}")
        continue
    flags = flags_of(help_text.stdout) - {"--help"}
    if f"crmmap {name}" not in synopsis:
        problems.append(f"the SYNOPSIS does not show crmmap {name}")
    section = sections.get(name)
    if section is None:
        problems.append(f'no section .SS "crmmap {name} ..." in the man page')
    else:
        for flag in sorted(flags):
            if not re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", section):
                problems.append(f"crmmap {name}: {flag} (from --help) is not in its man page section")
    if name not in comp_commands:
        problems.append(f"the bash completion does not offer the command {name}")
    comp_flags = subprocess.run(["bash", "-c", 'source "$1"; _crmmap_flags "$2"', "-", completion, name],
                                capture_output=True, text=True, check=True).stdout.split()
    for flag in sorted(option_flags(help_text.stdout) - {"--help"} - set(comp_flags)):
        problems.append(f"crmmap {name}: the bash completion does not offer {flag}")

# Rendering: groff with every warning enabled, then man itself.
env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MAN_KEEP_FORMATTING="")
groff = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page_path], capture_output=True, text=True)
if groff.returncode != 0 or groff.stderr:
    problems.append(f"groff -ww warns (exit {groff.returncode}):\n{groff.stderr}")
man = subprocess.run(["man", "--warnings", "-l", page_path], capture_output=True, text=True, env=env)
if man.returncode != 0 or man.stderr:
    problems.append(f"man --warnings -l warns (exit {man.returncode}):\n{man.stderr}")
rendered = re.sub(r".\x08", "", man.stdout)
for name in registered:
    if f"crmmap {name}" not in rendered:
        problems.append(f"the rendered page does not show crmmap {name}")

for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print(f"ok: {len(registered)} commands, man page and completion complete, renders without warnings")
