#!/usr/bin/env python3
"""caps.py CRMMAP SCHEMA_DRIVER MAP

Each resource cap, at the limit and one past it: at the limit the input is
accepted; one past, it is refused with exit 1 and a message naming the
limit. The caps (and where they live): .map source size and nesting depth
(compiler/syntax/ast.h), schema fields, picklist values, JSON depth and JSON
values, users, files per schema folder (compiler/schema/schema.h,
compiler/schema/schema_json.h), code per entity (compiler/emit/codegen.c), .mapc file
size (runtime/vm/mapc.h). Record size,
record depth, values and CSV columns are tests/reader's; schema strings and
the schema file size tests/schema's. MAP is an example mapping: its .mapc
is padded with a section of unknown id, which the loader skips, to exactly
the size cap."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

crmmap, driver, example = (os.path.abspath(a) for a in sys.argv[1:4])
failures = []
AST_MAX_SOURCE = 4 * 1024 * 1024
AST_MAX_DEPTH = 256
SCHEMA_MAX_FIELDS = SCHEMA_MAX_VALUES = 20000
SCHEMA_MAX_USERS = 100000
SCHEMA_MAX_DIR_FILES = 10000
JSON_MAX_DEPTH = 64
JSON_MAX_NODES = 2000000
MAPC_MAX_FILE = 16 * 1024 * 1024


def run(args, cwd):
    r = subprocess.run(args, cwd=cwd, capture_output=True, timeout=120)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


def cap(name, args_at, args_past, cwd, message):
    """args_at must succeed (exit 0, no mention of the limit); args_past must fail with message."""
    rc, out = run(args_at, cwd)
    if rc != 0 or message in out:
        failures.append(f"{name}: at the limit: exit {rc}: {out[:300]}")
    rc, out = run(args_past, cwd)
    if rc != 1 or message not in out:
        failures.append(f"{name}: one past the limit: exit {rc}, wanted 1 and '{message}': {out[:300]}")
    else:
        print(f"ok: {name}")


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def schema(fields):
    return json.dumps({"format": "crmmap-schema/1", "system": "salesforce", "entity": "Contact",
                       "fields": fields})


with tempfile.TemporaryDirectory() as tmp:
    # Source size: a mapping padded with comment lines to exactly the cap.
    head = b'mapping "m"\n'
    pad = AST_MAX_SOURCE - len(head)
    body = (b"#" + b"x" * 98 + b"\n") * (pad // 100)
    body += b"#" * (pad - len(body) - 1) + b"\n"
    write(f"{tmp}/size_at.map", head + body)
    write(f"{tmp}/size_past.map", head + body + b"\n")
    cap("source size", [crmmap, "check", "--dump-ast", "size_at.map"],
        [crmmap, "check", "--dump-ast", "size_past.map"], tmp, "file larger than the limit of 4194304 bytes")

    # Nesting: the entity's brace is a level, so 255 parentheses inside it reach the cap.
    def nested(n):
        return 'mapping "m"\nentity A create {\n  X = ' + "(" * n + "1" + ")" * n + "\n}\n"
    write(f"{tmp}/deep_at.map", nested(AST_MAX_DEPTH - 1))
    write(f"{tmp}/deep_past.map", nested(AST_MAX_DEPTH))
    cap("bracket nesting", [crmmap, "check", "--dump-ast", "deep_at.map"],
        [crmmap, "check", "--dump-ast", "deep_past.map"], tmp, "nesting deeper than 256 levels")
    # An operator chain: n additions make a tree n + 1 levels deep.
    def chain(n):
        return 'mapping "m"\nentity A create {\n  X = 1' + " + 1" * n + "\n}\n"
    write(f"{tmp}/chain_at.map", chain(AST_MAX_DEPTH - 1))
    write(f"{tmp}/chain_past.map", chain(AST_MAX_DEPTH))
    cap("expression depth", [crmmap, "check", "--dump-ast", "chain_at.map"],
        [crmmap, "check", "--dump-ast", "chain_past.map"], tmp, "expression nested deeper than 256 levels")

    # Schema fields and picklist values.
    def fields(n):
        return [{"name": f"F{i}", "type": "string", "length": 10} for i in range(n)]
    write(f"{tmp}/fields_at.json", schema(fields(SCHEMA_MAX_FIELDS)))
    write(f"{tmp}/fields_past.json", schema(fields(SCHEMA_MAX_FIELDS + 1)))
    cap("schema fields", [driver, "load", "fields_at.json"], [driver, "load", "fields_past.json"], tmp,
        "more than 20000 fields in one entity")

    def picklist(n):
        return [{"name": "P", "type": "picklist", "values": [{"value": f"v{i}"} for i in range(n)]}]
    write(f"{tmp}/values_at.json", schema(picklist(SCHEMA_MAX_VALUES)))
    write(f"{tmp}/values_past.json", schema(picklist(SCHEMA_MAX_VALUES + 1)))
    cap("picklist values", [driver, "load", "values_at.json"], [driver, "load", "values_past.json"], tmp,
        "more than 20000 picklist values")

    # JSON depth: the schema object is level 1, each field a level below "fields".
    def deep_label(levels):
        inner = "1"
        for _ in range(levels - 3):        # document, fields array, field object
            inner = "[" + inner + "]"
        return ('{"format": "crmmap-schema/1", "system": "salesforce", "entity": "Contact", "fields": '
                '[{"name": "F", "type": "string", "x": ' + inner + "}]}")
    write(f"{tmp}/jdeep_at.json", deep_label(JSON_MAX_DEPTH))
    write(f"{tmp}/jdeep_past.json", deep_label(JSON_MAX_DEPTH + 1))
    rc_at, out_at = run([driver, "load", "jdeep_at.json"], tmp)
    rc_past, out_past = run([driver, "load", "jdeep_past.json"], tmp)
    msg = "JSON nested more than 64 levels deep"
    # at the limit the document parses; the unknown key "x" may then be reported, the depth not
    if msg in out_at or rc_past != 1 or msg not in out_past:
        failures.append(f"JSON depth: at: {out_at[:200]}; past: exit {rc_past} {out_past[:200]}")
    else:
        print("ok: JSON depth")

    # JSON values: the object, three strings, "fields" and its one value, "x" and its n values.
    def many_values(total):
        n = total - 7
        return ('{"format": "crmmap-schema/1", "system": "salesforce", "entity": "Contact", "fields": [0], "x": ['
                + ",".join("0" * n) + "]}")
    write(f"{tmp}/nodes_at.json", many_values(JSON_MAX_NODES))
    write(f"{tmp}/nodes_past.json", many_values(JSON_MAX_NODES + 1))
    rc_at, out_at = run([driver, "load", "nodes_at.json"], tmp)
    rc_past, out_past = run([driver, "load", "nodes_past.json"], tmp)
    msg = "more than 2000000 JSON values in one document"
    if msg in out_at or rc_past != 1 or msg not in out_past:
        failures.append(f"JSON values: at: {out_at[:200]}; past: exit {rc_past} {out_past[:200]}")
    else:
        print("ok: JSON values")

    # Users.
    def users(n):
        return json.dumps({"format": "crmmap-users/1", "system": "salesforce", "users": [
            {"id": f"005{i:015d}", "email": f"u{i}@example.com", "name": f"U {i}", "active": True}
            for i in range(n)]})
    write(f"{tmp}/users_at.json", users(SCHEMA_MAX_USERS))
    write(f"{tmp}/users_past.json", users(SCHEMA_MAX_USERS + 1))
    cap("users", [driver, "users", "users_at.json"], [driver, "users", "users_past.json"], tmp,
        "more than 100000 users")

    # Files in one schema folder: the same folder, then with one file more.
    def entity_file(i):
        write(f"{tmp}/dir/E{i}.json", '{"format": "crmmap-schema/1", "system": "salesforce", '
              f'"entity": "E{i}", "fields": []}}')
    os.makedirs(f"{tmp}/dir")
    for i in range(SCHEMA_MAX_DIR_FILES):
        entity_file(i)
    rc_at, out_at = run([driver, "dir", "dir"], tmp)
    entity_file(SCHEMA_MAX_DIR_FILES)
    rc_past, out_past = run([driver, "dir", "dir"], tmp)
    msg = "holds more than 10000 entity files"
    if rc_at != 0 or msg in out_at or rc_past != 1 or msg not in out_past:
        failures.append(f"files per schema folder: at: exit {rc_at} {out_at[-200:]}; past: exit {rc_past} {out_past[-200:]}")
    else:
        print("ok: files per schema folder")

    # Code per entity (u16 jumps): a long `case` compiles below 64 KiB of code and is
    # refused above it with E0115 at the entity's name, not a crash or a fatal exit.
    os.makedirs(f"{tmp}/code/schemas/sf")
    write(f"{tmp}/code/schemas/sf/Contact.json", schema([
        {"name": "Email", "type": "email", "length": 80, "createable": True, "updateable": True,
         "external_id": True},
        {"name": "LastName", "type": "string", "length": 80, "createable": True, "updateable": True}]))
    write(f"{tmp}/code/schemas/lead.json", json.dumps({"format": "crmmap-schema/1", "system": "snapaddy",
          "entity": "lead", "fields": [{"name": "email", "type": "email", "length": 80}]}))

    def long_case(n):
        branches = "".join(f'    when email == "a{i}@example.com" then "L{i}"\n' for i in range(n))
        return ('mapping "m"\nsource s schema "schemas/lead.json"\ntarget salesforce schema "schemas/sf"\n'
                'entity Contact upsert by Email {\n  Email = email\n  LastName = case {\n'
                + branches + '    else "x"\n  }\n}\n')
    write(f"{tmp}/code/small.map", long_case(1000))
    write(f"{tmp}/code/big.map", long_case(5000))
    cap("code per entity", [crmmap, "compile", "small.map", "-o", "small.mapc"],
        [crmmap, "compile", "big.map", "-o", "big.mapc"], f"{tmp}/code",
        "big.map:4:8: error[E0115]: the program of entity Contact is")

    # .mapc size: pad a valid file with a section of unknown id to exactly the cap.
    subprocess.run([crmmap, "compile", example, "-o", f"{tmp}/example.mapc"], check=True,
                   capture_output=True, timeout=60)
    with open(f"{tmp}/example.mapc", "rb") as f:
        data = f.read()
    sections = data[48:-4]

    def padded(total):
        fixed = 48 + len(sections) + 1 + 4 + 4  # header, sections, id, 4-byte var length, CRC
        n = total - fixed
        var = bytes([(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, ((n >> 14) & 0x7f) | 0x80, (n >> 21) & 0x7f])
        body = bytearray(data[:48] + sections + bytes([200]) + var + b"\0" * n)
        body[12:16] = struct.pack("<I", total)
        return bytes(body) + struct.pack("<I", zlib.crc32(bytes(body)))
    write(f"{tmp}/at.mapc", padded(MAPC_MAX_FILE))
    write(f"{tmp}/past.mapc", padded(MAPC_MAX_FILE + 1))
    cap(".mapc size", [crmmap, "verify", "at.mapc"], [crmmap, "verify", "past.mapc"], tmp,
        "file too large")

for f in failures:
    print("FAIL:", f)
print("ok" if not failures else f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
