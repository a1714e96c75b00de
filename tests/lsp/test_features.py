#!/usr/bin/env python3
"""Completion, hover, formatting, navigation and code actions of `crmmap lsp`
on the Salesforce example. Usage: test_features.py CRMMAP SOURCE_DIR CASE."""
import json
import os
import sys

from lsplib import Client, check

crmmap, src, case = sys.argv[1:4]
path = os.path.join(src, "examples", "salesforce", "fair-leads.map")
# The cases edit and look up the tables: the shared file the example includes
# is pasted in where it is included (case_include follows the include).
COMMON = open(os.path.join(src, "examples", "common.map"), encoding="utf-8").read()
INCLUDED = open(path, encoding="utf-8").read()
TEXT = INCLUDED.replace('include "../common.map"\n', COMMON)


def session(text=TEXT):
    c = Client(crmmap)
    c.initialize(src)
    uri = c.open(path, text)
    c.diagnostics(uri)
    return c, uri


def clean_session(text, what):
    """A session on text, which must check without errors; the client, uri
    and the textDocument argument."""
    c = Client(crmmap)
    c.initialize(src)
    uri = c.open(path, text)
    errors = [d for d in c.diagnostics(uri) if d["severity"] == 1]
    check(errors == [], "%s check: %r" % (what, errors))
    return c, uri, {"textDocument": {"uri": uri}}


def at(text, needle, delta=0):
    """The LSP position of needle's first byte (plus delta) in text."""
    off = text.index(needle) + delta
    line = text.count("\n", 0, off)
    return {"line": line, "character": off - (text.rfind("\n", 0, off) + 1)}


def edit(c, uri, text, version):
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                        "contentChanges": [{"text": text}]})


def labels(r):
    return [i["label"] for i in r["result"]]


def finish(c):
    check("result" in c.request("shutdown"), "shutdown")
    c.notify("exit")
    check(c.close() == 0, "exit 0")


def case_completion():
    # A field name typed at the start of a line of the Contact entity.
    text = TEXT.replace("  Title             =", "  Depa\n  Title             =")
    c, uri = session(TEXT)
    edit(c, uri, text, 2)
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text, "Depa", 4)})
    items = r["result"]
    check(labels(r) == ["Department"], "field names starting Depa: %r" % labels(r))
    check(items[0]["detail"].startswith("string(80)") and "Department" in items[0]["detail"],
          "detail: %r" % items[0]["detail"])
    e = items[0]["textEdit"]
    check(e["newText"] == "Department" and e["range"]["start"] == at(text, "Depa"), "edit: %r" % e)
    # Every field of the entity on an empty line, with required and picklist values shown.
    text2 = TEXT.replace("  on create {\n    LeadSource", "  on create {\n    \n    LeadSource")
    edit(c, uri, text2, 3)
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri},
                                              "position": at(text2, "    \n    LeadSource", 4)})
    got = {i["label"]: i for i in r["result"]}
    check("LastName" in got and "required" in got["LastName"]["detail"], "LastName required: %r" % got.get("LastName"))
    check("LeadSource" in got and "`Phone Inquiry`" in got["LeadSource"]["documentation"]["value"],
          "picklist values in the documentation: %r" % got.get("LeadSource"))
    check("master crm" in got and "Fair__c" not in got, "keywords, and Contact's fields only")
    # A picklist value inside a string assigned to a picklist field.
    text3 = TEXT.replace('LeadSource = "Other"', 'LeadSource = "Ph"')
    edit(c, uri, text3, 4)
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text3, '"Ph"', 3)})
    check(labels(r) == ["Phone Inquiry"], "picklist value: %r" % labels(r))
    # Options of a source question compared with a string.
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri},
                                              "position": at(text3, '"very_interested" then', 1)})
    check(labels(r) == ["very_interested", "interested", "not_interested"], "question options: %r" % labels(r))
    # Source paths after `answers.`, with the question's text.
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri},
                                              "position": at(text3, "answers.q_interest]", 8)})
    got = {i["label"]: i for i in r["result"]}
    check(all(k.startswith("answers.") for k in got) and "answers.q_interest" in got, "answers paths: %r" % list(got))
    check("How interested is the visitor?" in got["answers.q_interest"]["detail"], "question text")
    # User e-mails in user("...").
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri},
                                              "position": at(text3, 'user("anna', 6)})
    check("anna.berger@example.com" in labels(r) and all("@" in l for l in labels(r)), "e-mails: %r" % labels(r))
    # Builtins with signatures, tables and keywords in an expression.
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text3, "lower(trim", 2)})
    got = {i["label"]: i for i in r["result"]}
    check(list(got) == ["lower"] and got["lower"]["detail"] == "lower(arg1) → STRING", "builtin: %r" % got)
    # Entity names after ref; item keywords at the top level.
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text3, "ref Contact", 4)})
    check(labels(r) == ["Contact", "Visit_Report__c", "ContentVersion"], "entities after ref, each once: %r" % labels(r))
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text3, "table Interest")})
    check("entity" in labels(r) and "table" in labels(r) and "let" in labels(r), "item keywords: %r" % labels(r))
    # Lets declared before the cursor, with their type; not those after it.
    text4 = text3.replace("entity Contact", 'let home = country ?? "DE"\nentity Contact', 1)
    text4 = text4.replace('  reject "e-mail', '  let later = 1\n  reject "e-mail', 1)
    edit(c, uri, text4, 5)
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text4, "lower(trim", 2)})
    got = {i["label"]: i for i in r["result"]}
    check(list(got) == ["lower"], "a prefix still filters: %r" % list(got))
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text4, "lower(trim", 0)})
    got = {i["label"]: i for i in r["result"]}
    check("home" in got and got["home"]["detail"] == "string" and got["home"]["kind"] == 6 and "later" not in got,
          "lets: %r" % {k: v for k, v in got.items() if k in ("home", "later")})
    finish(c)


def case_hover():
    c, uri = session()

    def hover(needle, delta=0):
        r = c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": at(TEXT, needle, delta)})
        return r["result"]["contents"]["value"] if r["result"] else None

    h = hover("LeadSource = ")
    check(h and "Contact.**LeadSource**" in h and "picklist" in h and "`Phone Inquiry`" in h and "createable" in h,
          "field hover: %r" % h)
    h = hover("answers.q_interest ==", 9)
    check(h and "How interested is the visitor?" in h and "`very_interested`" in h, "source hover: %r" % h)
    h = hover("truncate(firstName")
    check(h and "truncate(arg1, arg2) → STRING" in h, "builtin hover: %r" % h)
    h = hover("Interest[answers")
    check(h and "table Interest" in h and '"not_interested"  -> "Cold"' in h, "table hover: %r" % h)
    check(hover("# snapADDY") is None, "nothing on a comment")
    finish(c)


def apply(text, edits):
    """text with LSP TextEdits applied (ASCII text: characters are bytes)."""
    lines = text.split("\n")
    offs = [0]
    for l in lines:
        offs.append(offs[-1] + len(l) + 1)

    def off(p):
        return offs[p["line"]] + p["character"]
    for e in sorted(edits, key=lambda e: off(e["range"]["start"]), reverse=True):
        text = text[:off(e["range"]["start"])] + e["newText"] + text[off(e["range"]["end"]):]
    return text


def case_format():
    messy = TEXT.replace("  Email             = lower(trim(email))", "     Email=lower( trim(email) )")
    messy = messy.replace('  "interested"      -> "Warm"', '"interested"->"Warm"')
    c, uri = session(messy)
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                              "options": {"tabSize": 2, "insertSpaces": True}})
    check(len(r["result"]) == 1, "one edit: %r" % r)
    check(apply(messy, r["result"]) == TEXT, "formatted to the example's layout")
    check(r["result"][0]["range"]["start"]["line"] > 5, "the edit leaves the unchanged head alone")
    edit(c, uri, TEXT, 2)
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {}})
    check(r["result"] == [], "nothing to change: %r" % r)
    edit(c, uri, TEXT + "\nentity {", 3)
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {}})
    check(r["result"] == [], "syntax errors: no edit: %r" % r)
    finish(c)


def case_navigation():
    c, uri = session()
    doc = {"textDocument": {"uri": uri}}
    r = c.request("textDocument/documentSymbol", doc)["result"]
    names = [(s["name"], s["kind"]) for s in r]
    check(("Interest", 23) in names and ("Contact", 5) in names and ("fair-leads-to-salesforce", 2) in names,
          "symbols: %r" % names)
    contact = next(s for s in r if s["name"] == "Contact")
    check([ch["name"] for ch in contact["children"]][:3] == ["Email", "FirstName", "LastName"], "children")
    # Definition of a table from its use, and of an entity from `ref`.
    r = c.request("textDocument/definition", dict(doc, position=at(TEXT, "Interest[answers", 2)))["result"]
    check(r["uri"] == uri and r["range"]["start"] == at(TEXT, "Interest {"), "table definition: %r" % r)
    r = c.request("textDocument/definition", dict(doc, position=at(TEXT, "ref Contact", 5)))["result"]
    check(r["range"]["start"] == at(TEXT, "Contact upsert"), "entity definition: %r" % r)
    # References, with and without the declaration.
    r = c.request("textDocument/references", dict(doc, position=at(TEXT, "Salutation {", 1),
                                                  context={"includeDeclaration": True}))["result"]
    check([x["range"]["start"] for x in r] == [at(TEXT, "Salutation {"), at(TEXT, "Salutation[gender]")],
          "references: %r" % r)
    r = c.request("textDocument/references", dict(doc, position=at(TEXT, "Salutation {", 1),
                                                  context={"includeDeclaration": False}))["result"]
    check(len(r) == 1, "without the declaration: %r" % r)
    check(c.request("textDocument/definition", dict(doc, position=at(TEXT, "lower(")))["result"] is None,
          "no definition for a builtin")
    # Rename a table: declaration and uses.
    r = c.request("textDocument/rename", dict(doc, position=at(TEXT, "Interest[answers"), newName="Heat"))
    renamed = apply(TEXT, r["result"]["changes"][uri])
    check("table Heat {" in renamed and "Heat[answers.q_interest]" in renamed and
          "Interest[" not in renamed and "table Interest" not in renamed, "renamed")
    r = c.request("textDocument/rename", dict(doc, position=at(TEXT, "ref Contact", 5), newName="X"))
    check(r.get("error", {}).get("code") == -32600, "an entity is not renamed: %r" % r)
    r = c.request("textDocument/rename", dict(doc, position=at(TEXT, "Interest[answers"), newName="1bad"))
    check(r.get("error", {}).get("code") == -32602, "a bad name: %r" % r)
    finish(c)
    # Lets: the mapping's, used in one entity; two entities' own of one name.
    text = TEXT.replace("entity Contact upsert by Email {\n", "let mail = lower(trim(email))\n\n"
                        "entity Contact upsert by Email {\n  let t = note\n")
    text = text.replace("  Email             = lower(trim(email))", "  Email             = mail")
    text = text.replace("  Description       = note", "  Description       = t")
    text = text.replace("  Fair__c        = fair_name", "  let t = visitreport.title\n  Fair__c        = t")
    c, uri, doc = clean_session(text, "the lets")
    r = c.request("textDocument/definition", dict(doc, position=at(text, "= mail", 3)))["result"]
    check(r["range"]["start"] == at(text, "mail = lower"), "let definition: %r" % r)
    r = c.request("textDocument/references", dict(doc, position=at(text, "mail = lower"),
                                                  context={"includeDeclaration": True}))["result"]
    check([x["range"]["start"] for x in r] == [at(text, "mail = lower"), at(text, "= mail", 2)],
          "let references: %r" % r)
    fair = text.index("let t = visitreport")
    r = c.request("textDocument/references", dict(doc, position=at(text, "= t\n", 2),
                                                  context={"includeDeclaration": True}))["result"]
    check([x["range"]["start"] for x in r] == [at(text, "let t = note", 4), at(text, "Description       = t", 20)],
          "an entity's own let, not the other entity's of the same name: %r" % r)
    r = c.request("textDocument/rename", dict(doc, position=at(text, "= mail", 2), newName="address"))
    renamed = apply(text, r["result"]["changes"][uri])
    check("let address = lower" in renamed and "Email             = address" in renamed and " mail" not in renamed,
          "let renamed")
    r = c.request("textDocument/rename", dict(doc, position=at(text, "Fair__c        = t", 17), newName="title"))
    renamed = apply(text, r["result"]["changes"][uri])
    check("let title = visitreport.title" in renamed and "Fair__c        = title" in renamed
          and "let t = note" in renamed and "Description       = t" in renamed, "the second entity's let renamed alone")
    syms = c.request("textDocument/documentSymbol", doc)["result"]
    contact = next(s for s in syms if s["name"] == "Contact")
    check(("mail", 13) in [(s["name"], s["kind"]) for s in syms] and
          ("t", 13) in [(ch["name"], ch["kind"]) for ch in contact["children"]], "let symbols")
    check(fair > 0 and c.request("textDocument/definition", dict(doc, position=at(text, "answers.q_interest", 3)))
          ["result"] is None, "a source path is no let")
    finish(c)
    # Params: seen in the whole mapping; completion and hover say type and default.
    text = TEXT.replace("entity Contact upsert by Email {\n", 'param show = "Hannover Messe"\n\n'
                        "entity Contact upsert by Email {\n", 1)
    text = text.replace("  Fair__c        = fair_name", "  Fair__c        = show")
    c, uri, doc = clean_session(text, "the params")
    r = c.request("textDocument/definition", dict(doc, position=at(text, "= show", 3)))["result"]
    check(r and r["range"]["start"] == at(text, "show = \"Hannover"), "param definition: %r" % r)
    r = c.request("textDocument/references", dict(doc, position=at(text, "show = \"Hannover"),
                                                  context={"includeDeclaration": True}))["result"]
    check([x["range"]["start"] for x in r] == [at(text, "show = \"Hannover"), at(text, "= show", 2)],
          "param references: %r" % r)
    r = c.request("textDocument/rename", dict(doc, position=at(text, "= show", 2), newName="show_name"))
    renamed = apply(text, r["result"]["changes"][uri])
    check('param show_name = "Hannover Messe"' in renamed and "Fair__c        = show_name" in renamed,
          "param renamed: %r" % r)
    syms = c.request("textDocument/documentSymbol", doc)["result"]
    check(("show", 14) in [(s["name"], s["kind"]) for s in syms], "param symbol: %r" % [s["name"] for s in syms])
    r = c.request("textDocument/completion", dict(doc, position=at(text, "= show", 3)))["result"]
    items = {i["label"]: i.get("detail") for i in (r["items"] if isinstance(r, dict) else r)}
    check(items.get("show") == 'param string = "Hannover Messe"', "param completion: %r" % items.get("show"))
    r = c.request("textDocument/hover", dict(doc, position=at(text, "= show", 3)))["result"]
    check(r and 'param string = "Hannover Messe"' in r["contents"]["value"] and "--param show=VALUE"
          in r["contents"]["value"], "param hover: %r" % r)
    finish(c)


def case_actions():
    text = TEXT.replace('  "not_interested"  -> "Cold"\n', "").replace("  Email             =", "  Emial             =")
    text = text.replace("anna.berger@", "anna.bergr@")
    c, uri = session(text)
    edit(c, uri, text, 2)
    diags = {d["code"]: d for d in c.diagnostics(uri)}
    check({"E0107", "E0102", "E0110"} <= set(diags), "the errors: %r" % list(diags))

    def actions(code):
        r = c.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": diags[code]["range"],
                                                  "context": {"diagnostics": [diags[code]]}})
        return [a for a in r["result"] if a["kind"] == "quickfix"]

    a = actions("E0107")
    check(len(a) == 1 and a[0]["title"] == "add the missing entries to table Interest", "E0107: %r" % a)
    edits = a[0]["edit"]["changes"][uri]
    check('  "not_interested" -> null\n}' in apply(text, edits), "the entry added")
    a = actions("E0102")
    check(len(a) == 1 and a[0]["title"] == "change to Email", "E0102: %r" % a)
    edits += a[0]["edit"]["changes"][uri]
    a = actions("E0110")
    check(len(a) == 1 and a[0]["title"] == 'change to "anna.berger@example.com"', "E0110: %r" % a)
    # All three on the text they were computed for.
    fixed = apply(text, edits + a[0]["edit"]["changes"][uri])
    edit(c, uri, fixed, 3)
    left = [d["code"] for d in c.diagnostics(uri) if d["severity"] == 1]
    check(left == [], "every error fixed: %r" % left)
    # A default for an assignment's value.
    r = c.request("textDocument/codeAction", {"textDocument": {"uri": uri},
                                              "range": {"start": at(fixed, "truncate(firstName"),
                                                        "end": at(fixed, "truncate(firstName")},
                                              "context": {"diagnostics": []}})
    a = r["result"]
    check(len(a) == 1 and a[0]["title"] == 'give FirstName a default: ?? ""', "??: %r" % a)
    check('truncate(firstName, 40) ?? ""' in apply(fixed, a[0]["edit"]["changes"][uri]), "?? applied")
    # A misspelled source path (E0103).
    text = TEXT.replace("minutes(answers.q_duration)", "minutes(answers.q_durration)")
    edit(c, uri, text, 4)
    diags = {d["code"]: d for d in c.diagnostics(uri)}
    a = actions("E0103")
    check(len(a) == 1 and a[0]["title"] == "change to answers.q_duration", "E0103: %r" % a)
    check(apply(text, a[0]["edit"]["changes"][uri]) == TEXT, "the path fixed")
    finish(c)


def case_range_format():
    messy = TEXT.replace("  Email             = lower(trim(email))", "     Email=lower( trim(email) )")
    messy = messy.replace('  "interested"      -> "Warm"', '"interested"->"Warm"')
    c, uri = session(messy)

    def fmt(start, end):
        return c.request("textDocument/rangeFormatting", {"textDocument": {"uri": uri},
                                                          "range": {"start": start, "end": end},
                                                          "options": {"tabSize": 2, "insertSpaces": True}})

    # A range inside the table formats the table alone, as fmt would.
    r = fmt(at(messy, '"interested"->'), at(messy, '"interested"->', 3))
    check(len(r["result"]) == 1, "one edit: %r" % r)
    once = apply(messy, r["result"])
    check('  "interested"      -> "Warm"' in once and "     Email=lower( trim(email) )" in once,
          "the table formatted, the entity left alone: %r" % r["result"])
    check(r["result"][0]["range"]["start"] == at(messy, "table Interest"), "from the table's first line")
    # A range across the table and an entity formats both: the whole text becomes fmt's.
    r = fmt(at(once, "table Interest"), at(once, "Email=lower"))
    check(apply(once, r["result"]) == TEXT, "table and entity formatted")
    # Between items (a blank line) and on formatted text: nothing.
    edit(c, uri, TEXT, 2)
    r = fmt(at(TEXT, "table Interest"), at(TEXT, "entity Contact"))
    check(r["result"] == [], "nothing to change: %r" % r)
    edit(c, uri, TEXT + "\nentity {", 3)
    r = fmt(at(TEXT, "table Interest"), at(TEXT, "table Interest", 3))
    check(r["result"] == [], "syntax errors: no edit: %r" % r)
    finish(c)


def case_payload():
    cases_path = os.path.join(src, "examples", "salesforce", "fair-leads.test.json")
    CASES = open(cases_path, encoding="utf-8").read()
    c = Client(crmmap)
    caps = c.initialize(src)["capabilities"]
    check(caps["executeCommandProvider"]["commands"] == ["crmmap.showPayload"], "advertised: %r" % caps)

    def show(arg):
        return c.request("workspace/executeCommand", {"command": "crmmap.showPayload", "arguments": [arg]})

    # From the .map, not open: the first case of fair-leads.test.json, on the file's text.
    uri = "file://" + os.path.abspath(path)
    r = show({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})["result"]
    check(r["case"] == "a complete German lead: the whole Contact, its visit report", "first case: %r" % r["case"])
    check(r["mapping"] == uri and r["caseFile"].endswith("/fair-leads.test.json"), "names: %r" % r)
    contact = r["entities"][0]
    check(contact["entity"] == "Contact" and contact["op"] == "upsert" and
          contact["payload"]["Email"] == "anna.schmidt@example.de" and "record" not in contact,
          "the Contact's payload: %r" % contact)
    check(json.loads(r["text"]) == r["entities"], "text is the entities, pretty-printed")
    # The open document's text, not the file's: an edit shows at once.
    c.open(path, TEXT.replace("lower(trim(email))", "upper(trim(email))", 1))
    r = show({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})["result"]
    check(r["entities"][0]["payload"]["Email"] == "ANNA.SCHMIDT@EXAMPLE.DE", "the editor's text: %r" % r["entities"][0])
    # From the case file: the case under the cursor, on the text the client sends.
    second = CASES.index('"name"', CASES.index('"name"') + 1)
    name = json.loads(CASES[second:].split("\n", 1)[0].split(":", 1)[1].rstrip(","))
    curi = "file://" + os.path.abspath(cases_path)
    r = show({"textDocument": {"uri": curi}, "position": at(CASES, '"name"', second - CASES.index('"name"'))})
    check(r["result"]["case"] == name, "the case under the cursor: %r" % r["result"]["case"])
    r = show({"textDocument": {"uri": curi}, "position": at(CASES, '"input"'),
              "text": CASES.replace('"firstName": "Anna"', '"firstName": "Berta"', 1)})["result"]
    check(r["entities"][0]["payload"]["FirstName"] == "Berta", "the client's case text: %r" % r["entities"][0])
    # Errors: a mapping with errors, a file that is neither, no case file, an unknown command.
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                        "contentChanges": [{"text": TEXT.replace("  Email ", "  Emial ", 1)}]})
    r = show({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    check(r["error"]["code"] == -32803 and "has errors" in r["error"]["message"] and "Emial" in r["error"]["message"],
          "a mapping with errors: %r" % r)
    r = show({"textDocument": {"uri": "file:///tmp/x.csv"}, "position": {"line": 0, "character": 0}})
    check(r["error"]["code"] == -32602, "neither: %r" % r)
    lonely = os.path.join(src, "tests", "parse", "design", "lead.map")
    r = show({"textDocument": {"uri": "file://" + os.path.abspath(lonely)}, "position": {"line": 0, "character": 0}})
    check(r["error"]["code"] == -32803 and "no test cases" in r["error"]["message"], "no cases: %r" % r)
    r = c.request("workspace/executeCommand", {"command": "crmmap.nope", "arguments": []})
    check(r["error"]["code"] == -32602, "unknown command: %r" % r)
    finish(c)


def case_warning_actions():
    lpath = os.path.join(src, "examples", "salesforce", "contact-or-lead.map")
    LEAD = open(lpath, encoding="utf-8").read()
    # W0210: the Contact update without its Lead fallback.
    text = LEAD[:LEAD.index("entity Lead upsert")] + LEAD[LEAD.index("entity Visit_Report__c"):]
    c = Client(crmmap)
    c.initialize(src)
    uri = c.open(lpath, text)
    diags = {d["code"]: d for d in c.diagnostics(uri)}
    check("W0210" in diags, "W0210: %r" % list(diags))

    def actions(code):
        r = c.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": diags[code]["range"],
                                                  "context": {"diagnostics": [diags[code]]}})
        return [a for a in r["result"] if a["kind"] == "quickfix"]

    a = actions("W0210")
    check([x["title"] for x in a] == ["add a fallback entity: Lead upsert by Email when no Contact"],
          "the schema's objects with an Email: %r" % a)
    fixed = apply(text, a[0]["edit"]["changes"][uri])
    check("}\n\nentity Lead upsert by Email when no Contact {\n  Email    = mail\n"
          "  Company  = null  # required on create: give it a value\n" in fixed, "the skeleton: %r" % fixed)
    edit(c, uri, fixed, 2)
    left = [d["code"] for d in c.diagnostics(uri)]
    check("W0210" not in left and "E0111" not in left, "the fallback taken, ref Lead found again: %r" % left)
    # W0212: a required field's value that can fail, whole and inside a call.
    for before, after in [('e164(phone, "DE")', 'e164(phone, "DE") ?? ""'),
                          ('truncate(e164(phone, "DE"), 255)', 'truncate((e164(phone, "DE") ?? ""), 255)')]:
        text = LEAD.replace('Company   = truncate(organization, 255) ?? "(unknown)"', "Company   = " + before)
        edit(c, uri, text, 3)
        diags = {d["code"]: d for d in c.diagnostics(uri)}
        check("W0212" in diags, "W0212: %r" % list(diags))
        a = actions("W0212")
        check([x["title"] for x in a] == ['catch a failure here with ?? ""'], "W0212's action: %r" % a)
        fixed = apply(text, a[0]["edit"]["changes"][uri])
        check("Company   = " + after + "\n" in fixed, "wrapped: %r" % a[0]["edit"])
        edit(c, uri, fixed, 4)
        left = [d["code"] for d in c.diagnostics(uri) if d["severity"] == 1]
        check(left == [], "it still checks: %r" % left)
    finish(c)


def case_completion_more():
    # Table keys: the question's options the table has no entry for.
    text = TEXT.replace('  "not_interested"  -> "Cold"\n', "  \n")
    c, uri = session(text)
    pos = at(text, "  \n}", 2)
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
    check(labels(r) == ["not_interested", "else"], "table keys: %r" % labels(r))
    check(r["result"][0]["textEdit"]["newText"] == '"not_interested" -> ', "an entry's start: %r" % r["result"][0])
    text2 = text.replace("  \n}", '  "no\n}')
    edit(c, uri, text2, 2)
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text2, '"no\n}', 3)})
    check(labels(r) == ["not_interested"] and r["result"][0]["textEdit"]["newText"] == "not_interested",
          "in quotes: %r" % r["result"])
    # An entity header, word by word.
    steps = [("entity Le", ["Lead"]), ("entity Lead u", ["update by", "upsert by"]),
             ("entity Lead upsert by Em", ["Email", "EmailBouncedDate", "EmailBouncedReason"]), ("entity Lead upsert by Email ",
                                                      ["key", "master crm", "master source", "when", "when no",
                                                       "strict"]),
             ("entity Lead upsert by Email master ", ["crm", "source"]),
             ("entity Lead upsert by Email when no ", []), ("entity Lead upsert by Email st", ["strict"])]
    for n, (line, want) in enumerate(steps):
        t = TEXT + "\n" + line
        edit(c, uri, t, 3 + n)
        r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(t, line, len(line))})
        check(labels(r) == want, "%r: %r" % (line, labels(r)))
    finish(c)


def case_include():
    # The example as it is, including ../common.map: definitions lead into it.
    c, uri = session(INCLUDED)
    doc = {"textDocument": {"uri": uri}}
    common_uri = "file://" + os.path.realpath(os.path.join(src, "examples", "common.map"))
    r = c.request("textDocument/definition", dict(doc, position=at(INCLUDED, '"../common.map"', 3)))["result"]
    check(r["uri"] == common_uri and r["range"]["start"] == {"line": 0, "character": 0}, "include path: %r" % r)
    r = c.request("textDocument/definition", dict(doc, position=at(INCLUDED, "Salutation[gender]", 2)))["result"]
    check(r["uri"] == common_uri and r["range"]["start"] == at(COMMON, "Salutation {"), "included table: %r" % r)
    r = c.request("textDocument/definition", dict(doc, position=at(INCLUDED, "region ==", 1)))["result"]
    check(r["uri"] == common_uri and r["range"]["start"] == at(COMMON, "region = case"), "included let: %r" % r)
    r = c.request("textDocument/references", dict(doc, position=at(INCLUDED, "region ==", 1),
                                                  context={"includeDeclaration": False}))["result"]
    check([x["range"]["start"] for x in r] == [at(INCLUDED, "region ==")], "uses of an included let: %r" % r)
    r = c.request("textDocument/rename", dict(doc, position=at(INCLUDED, "region ==", 1), newName="area"))
    check("error" in r and "common.map" in r["error"]["message"], "no rename of an included let: %r" % r)
    # Completion knows the included file's lets and tables.
    text = INCLUDED.replace("  Description       = note", "  Description       = reg")
    edit(c, uri, text, 2)
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at(text, "= reg", 5)})
    check("region" in labels(r), "the included let completed: %r" % labels(r))
    h = c.request("textDocument/hover", dict(doc, position=at(text, "Interest[answers", 2)))["result"]
    check(h and "table Interest" in h["contents"]["value"], "the included table's hover: %r" % h)
    finish(c)


globals()["case_" + case]()
print("ok", case)
