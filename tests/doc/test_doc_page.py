#!/usr/bin/env python3
"""`crmmap doc` pages as a business user sees them: each example mapping's page is
rendered in headless Chromium; the DOM after rendering must show what the mapping
does (entities, field labels and types, required fields, the lead data or
expression feeding each field, ownership rules, value tables, assignment rules,
unmapped required fields highlighted), and a screenshot must show a real page.
A variant of the Salesforce example (update only, without LastName) shows the highlighting of an
unmapped required field. The page must load nothing: every link is an anchor,
and Chromium's network log holds no request the page made; the page logs no
console message. Each source path is shown with its question text or label
(from the source schema), table keys with their option labels, and the flow
picture (inline SVG, doc_flow.c) renders with its boxes, fork and parent
links, also for a generated mapping of 20 entities.

usage: test_doc_page.py CRMMAP SOURCE_DIR OUT_DIR"""
import concurrent.futures
import glob
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CRMMAP, SRC, OUT = sys.argv[1:4]
failures = []

# Per example: (api name, label, type shown, required?) of a few CRM fields.
KNOWN_FIELDS = {
    "salesforce": [("Email", "Email", "email (80)", False),
                   ("LastName", "Last Name", "string (80)", True),
                   ("OwnerId", "Owner ID", "reference (18) to User", False),
                   ("Visit_Date__c", None, "date", False)],
    "hubspot": [("phone", "Phone Number", "phone", False),
                ("lifecyclestage", "Lifecycle Stage", "picklist", False)],
    "dynamics": [("lastname", "Last Name", "string (50)", True),
                 ("emailaddress1", None, "email (100)", False)],
    "pipedrive": [("name", "Name", "string (255)", True),
                  ("bfbb92d80d256195ed09c6cc0ac2679b08b2e3fc", "Interest level", "picklist", False)],
}
# The rendered colours (CSS of doc_html.c) a screenshot must contain.
CRM_WINS_RGB = (0xff, 0xf2, 0xcc)
# The flow picture's boxes (doc_flow.c): lead data and CRM objects.
FLOW_SOURCE_RGB, FLOW_CRM_RGB = (0xe8, 0xf0, 0xfe), (0xee, 0xf7, 0xee)
SOURCE_FIELDS = {f["name"]: f for f in json.load(open(os.path.join(SRC, "examples", "schemas", "snapaddy",
                                                                   "lead.json"), encoding="utf-8"))["fields"]}


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.kids = tag, dict(attrs), parent, []

    def text(self):
        return re.sub(r"\s+", " ", "".join(k if isinstance(k, str) else k.text() for k in self.kids)).strip()

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def all(self, tag=None, cls=None):
        for k in self.kids:
            if isinstance(k, Node):
                if (tag is None or k.tag == tag) and (cls is None or cls in k.classes()):
                    yield k
                yield from k.all(tag, cls)

    def first(self, tag=None, cls=None):
        return next(self.all(tag, cls), None)


class Tree(html.parser.HTMLParser):
    VOID = {"br", "meta", "link", "img", "input", "hr", "source", "wbr"}

    def __init__(self, text):
        super().__init__()
        self.root = self.cur = Node("#root", [], None)
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        if tag not in self.VOID:
            self.cur = n

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.kids.append(data)


# A guard against a hung browser, not a speed check: a loaded 2-core
# machine has taken over 25 s to start Chromium.
def chromium(args, timeout=120):
    profile = tempfile.mkdtemp(prefix="chromium-")
    try:
        return subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile,
             "--host-resolver-rules=MAP * ~NOTFOUND"] + args,
            capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        # A failed check that shows what the browser last said, so a hang can
        # be told from a page that never finishes loading; the other checks go on.
        said = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        check(False, f"chromium {' '.join(args[:1])} did not end within {timeout} s; its last words: {said[-600:]!r}")
        return subprocess.CompletedProcess(e.cmd, -1, "", said)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def png_pixels(path):
    """(width, height, set of RGB colours) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + size]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + size
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, "unexpected PNG format %r" % (ihdr,)
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, colours = bytearray(stride), set()
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return w, h, {tuple(c) for c in colours}


def read_map(path):
    """The mapping's text with each included file pasted in where it is included."""
    text = open(path, encoding="utf-8").read()
    return re.sub(r'^include "([^"]+)"\n', lambda m: read_map(os.path.join(os.path.dirname(path), m.group(1))),
                  text, flags=re.M)


def map_facts(text):
    """What the .map says, read with simple patterns: the examples are formatted."""
    facts = {"entities": re.findall(r"^entity\s+(\w+)", text, re.M), "tables": {},
             "fallbacks": len(re.findall(r"^entity\s.* when no \w+", text, re.M)),
             # each entity a field's value refs (`ref Contact ?? ref Lead`: two)
             "refs": sum(len(set(re.findall(r"\bref (\w+)", re.sub(r"#.*$", "", body, flags=re.M))))
                         for body in re.split(r"^entity\s", text, flags=re.M)[1:]),
             "crm": [], "create": [], "simple": {}}
    for name, body in re.findall(r"^table\s+(\w+)\s*\{(.*?)^\}", text, re.M | re.S):
        facts["tables"][name] = re.findall(r'^\s*("[^"]*")\s*->\s*("[^"]*"|null)\s*$', body, re.M)
    for block, key in (("master crm", "crm"), ("on create", "create")):
        for body in re.findall(r"^\s*" + block + r"\s*\{(.*?)\}", text, re.M | re.S):
            facts[key] += re.findall(r"^\s*(\w+)\s*=", body, re.M)
    for field, expr in re.findall(r"^  (\w+)\s*=\s*([^{}\n]+?)\s*$", text, re.M):
        # A trailing comment is the author's, not the expression's.
        facts["simple"][field] = re.sub(r'^((?:[^"#]|"(?:[^"\\]|\\.)*")*?)\s*#.*$', r"\1", expr)
    return facts


def rows_by_field(table):
    rows = {}
    for tr in table.all("tr"):
        tds = list(tr.all("td"))
        if not tds:
            continue
        api = tds[0].first("span", "api")
        rows[api.text() if api else tds[0].text()] = (tr, tds)
    return rows


def no_external(html_text, name):
    refs = re.findall(r"""\b(?:src|href|action|poster|srcset)\s*=\s*["']?([^"'\s>]*)""", html_text, re.I)
    check(all(r.startswith("#") for r in refs), f"{name}: every link is an anchor in the page ({len(refs)} links)")
    check(not re.search(r"<(script|link|img|iframe|object|embed)\b|@import|url\(", html_text, re.I),
          f"{name}: no script, stylesheet, image or CSS url() to load")


def page_requests(netlog):
    """URLs the page itself asked for (its network isolation key is the file's):
    the browser's own background traffic has another key."""
    log = json.load(open(netlog, encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in log["events"] if e["type"] == start
            and "file://" in e["params"].get("network_isolation_key", "")]


def render(html_path, name, png, height):
    netlog = png + ".netlog.json"
    # Two browsers at once: the machine has two cores and the test a 30 s budget.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        dom_job = pool.submit(chromium, ["--dump-dom", "--enable-logging=stderr", "--v=0",
                                         "--log-net-log=" + netlog, "file://" + html_path])
        shot = chromium([f"--screenshot={png}", f"--window-size=1280,{height}", "file://" + html_path])
        dom = dom_job.result()
    check(dom.returncode == 0 and "</html>" in dom.stdout, f"{name}: chromium --dump-dom renders the page")
    console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l]
    check(not console, f"{name}: the page logs nothing to the console {console[:2]}")
    asked = page_requests(netlog) if os.path.exists(netlog) else ["(no network log)"]
    check(not asked, f"{name}: the page makes no request {asked[:3]}")
    check(shot.returncode == 0 and os.path.getsize(png) > 0 if os.path.exists(png) else False,
          f"{name}: chromium --screenshot writes a PNG")
    return Tree(dom.stdout).root, png_pixels(png)


def check_example(system, map_path):
    html_path = os.path.join(OUT, system + ".html")
    p = subprocess.run([CRMMAP, "doc", map_path, "-o", html_path], capture_output=True, text=True)
    check(p.returncode == 0, f"{system}: crmmap doc exits 0 ({p.stderr.strip()[:200] if p.returncode else ''})")
    if p.returncode != 0:
        return
    no_external(open(html_path, encoding="utf-8").read(), system)
    facts = map_facts(read_map(map_path))
    root, (w, h, colours) = render(html_path, system, os.path.join(OUT, system + ".png"), 2600)
    check((w, h) == (1280, 2600) and len(colours) > 16,
          f"{system}: screenshot 1280x2600 with more than one colour ({w}x{h}, {len(colours)} colours)")
    if facts["crm"]:
        check(CRM_WINS_RGB in colours, f"{system}: the 'CRM wins' badge colour is on screen")

    # One section per entity, also where several write one object (the
    # example's three ContentVersions): count them, not their names.
    heads = [s.first("h2").text() for s in root.all("section", "entity")]
    sections = {s.first("h2").text(): s for s in root.all("section", "entity")}
    check(sorted(heads) == sorted(facts["entities"]),
          f"{system}: a section per entity {facts['entities']} (got {sorted(heads)})")
    mapped = {}
    for ename, sec in sections.items():
        table = sec.first("table", "mapped")
        mapped.update(rows_by_field(table) if table else {})
        check(sec.first("table", "unmapped") is not None or "Every field" in sec.text(),
              f"{system}/{ename}: the fields left unmapped are listed")
        unm = sec.first("table", "unmapped")
        for field, (tr, tds) in (rows_by_field(unm) if unm else {}).items():
            req = tds[2].text() == "required"
            check(req == ("missing" in tr.attrs.get("class", "")) and req == ("req" in tds[2].classes()),
                  f"{system}/{ename}: unmapped {field} highlighted exactly when required")

    for api, label, typ, required in KNOWN_FIELDS[system]:
        row = mapped.get(api)
        check(row is not None, f"{system}: mapped field {api} is listed")
        if row is None:
            continue
        tr, tds = row
        shown = tds[0].text()
        check(label is None or shown.startswith(label), f"{system}: {api} shows its label {label!r} ({shown!r})")
        check(tds[1].text().startswith(typ), f"{system}: {api} has type {typ!r} ({tds[1].text()[:40]!r})")
        check((tds[2].text() == "required") == required and ("req" in tds[2].classes()) == required,
              f"{system}: {api} is marked {'required' if required else 'optional'}")

    for field, expr in facts["simple"].items():
        expr = re.sub(r" when .*", "", expr)  # the condition has its own column
        if field in mapped and not expr.startswith("case"):
            code = mapped[field][1][3].first("code").text()
            check(re.sub(r"\s+", " ", code) == re.sub(r"\s+", " ", expr),
                  f"{system}: {field} is filled from {expr!r} ({code!r})")
    for key, cls, words in (("crm", "own-crm", "CRM wins"), ("create", "own-create", "only when the record is created")):
        for field in facts[key]:
            badge = mapped[field][1][4].first("span", "badge") if field in mapped else None
            check(badge is not None and cls in badge.classes() and words in badge.text(),
                  f"{system}: {field} shows its rule '{words}'")

    tables = next((s for s in root.all("section") if s.attrs.get("id") == "tables"), None)
    for name, entries in facts["tables"].items():
        heads = [h for h in (tables.all("h3") if tables else []) if h.text() == name]
        check(len(heads) == 1, f"{system}: value table {name} has a heading")
        if not heads:
            continue
        sib = heads[0].parent.kids
        vt = next(k for k in sib[sib.index(heads[0]):] if isinstance(k, Node) and k.tag == "table")
        shown = [tuple((td.first("code") or td).text() for td in tr.all("td")) for tr in vt.all("tr") if tr.first("td")]
        check(all(e in shown for e in entries), f"{system}: value table {name} lists {entries}")
        looked_up = re.search(r"\b" + name + r"\[(answers\.\w+)\]", open(map_path, encoding="utf-8").read())
        question = SOURCE_FIELDS.get(looked_up.group(1)) if looked_up else None
        if question is not None and question.get("values"):
            labels = {'"%s"' % v["value"]: v["label"] for v in question["values"]}
            keys = {(td.first("code").text(), (td.first("span", "label") or Node("x", [], None)).text())
                    for tr in vt.all("tr") for td in list(tr.all("td"))[:1] if td.first("code")}
            check(all(labels[k] == lab for k, lab in keys if k in labels) and any(k in labels for k, _ in keys),
                  f"{system}: value table {name} shows the option labels of {question['name']} ({sorted(keys)[:2]})")

    check_sources(system, mapped, facts, root)
    check_flow(system, root, colours, facts)

    rules = [tuple(td.text() for td in tr.all("td")) for t in root.all("table", "rules")
             for tr in t.all("tr") if tr.first("td")]
    # the owner rules go by the region the shared file's let names (examples/common.map)
    check(("region is \"DACH\"", "Anna Berger <anna.berger@example.com>") in rules
          and any(r[0] == "otherwise" for r in rules),
          f"{system}: the assignment rule reads in words ({rules[:1]})")


def check_sources(system, mapped, facts, root):
    """Each source path a field is filled from is shown with its question text
    or label, and the lead data section lists every path with its label."""
    for field, expr in facts["simple"].items():
        if field not in mapped:
            continue
        tds = mapped[field][1]  # the value's paths under "Filled from", the condition's under "Only when"
        notes = {li.first("code").text(): li.first("span", "q").text()
                 for td in (tds[3], tds[5]) for li in td.all("li")}
        for path in set(re.findall(r"\b[a-z][\w.]*\b", re.sub(r'"[^"]*"|\bref \w+', "", expr))):
            f = SOURCE_FIELDS.get(path)
            if f is not None and f.get("label") not in (None, path):
                check(notes.get(path) == f["label"],
                      f"{system}: {field} shows {path} as {f['label']!r} ({notes.get(path)!r})")
    lead = next((s for s in root.all("section") if s.attrs.get("id") == "lead-data"), None)
    rows = {tds[0].text(): tds[1].text() for tds in ([*tr.all("td")] for tr in (lead.all("tr") if lead else []))
            if tds}
    check(lead is not None and all(SOURCE_FIELDS[p].get("label") == lab for p, lab in rows.items() if lab)
          and len(rows) >= 5, f"{system}: the lead data section lists {len(rows)} paths with their labels")


def check_flow(name, root, colours, facts):
    """The flow picture: one inline SVG with a title and a label, a box (text in
    <text>) for each entity and each CRM object, edges, and a fork for each
    fallback pair."""
    svgs = list(root.all("svg"))
    check(len(svgs) == 1 and svgs[0].attrs.get("role") == "img" and svgs[0].attrs.get("aria-label")
          and svgs[0].first("title") is not None, f"{name}: one flow picture with role, aria-label and title")
    if not svgs:
        return
    svg = svgs[0]
    boxes = {g.first("text").text() for g in svg.all("g", "entity")}
    check(boxes == set(facts["entities"]), f"{name}: the flow has a box per entity ({sorted(boxes)})")
    check(len(list(svg.all("g", "crm"))) >= 1 and len(list(svg.all("g", "source"))) >= 1
          and len(list(svg.all("path"))) >= len(facts["entities"]),
          f"{name}: the flow has lead data, CRM objects and edges")
    forks = len(list(svg.all("g", "fork")))
    check(forks == facts["fallbacks"], f"{name}: a fork per fallback pair ({forks})")
    refs = len(list(svg.all("g", "ref")))
    check(refs == facts["refs"], f"{name}: a parent link per ref ({refs} of {facts['refs']})")
    if colours is not None:
        check(FLOW_SOURCE_RGB in colours and FLOW_CRM_RGB in colours, f"{name}: the flow picture is on screen")
    boxes = [tuple(int(r.attrs[k]) for k in ("x", "y", "width", "height")) for r in svg.all("rect")]
    w, h = int(svg.attrs["width"]), int(svg.attrs["height"])
    overlap = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]]
    check(not overlap and all(x >= 0 and y >= 0 and x + bw <= w and y + bh <= h for x, y, bw, bh in boxes),
          f"{name}: the flow's {len(boxes)} boxes lie apart, inside the picture ({overlap[:1]})")


def check_many_entities():
    """A mapping of 20 entities: the picture stays readable (a box and an edge
    each, none overlapping) and renders."""
    work = os.path.join(OUT, "many")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, ".git"))
    shutil.copytree(os.path.join(SRC, "examples", "schemas"), os.path.join(work, "schemas"))
    os.makedirs(os.path.join(work, "m"))
    text = ['mapping "many"', 'source snapaddy schema "../schemas/snapaddy/lead.json"',
            'target salesforce schema "../schemas/salesforce"', 'entity Contact upsert by Email {',
            '  Email = lower(trim(email))', '  LastName = truncate(lastName, 80) ?? "(unknown)"', "}"]
    for i in range(19):
        text += [f'entity Visit_Report__c create key External_Id__c when visitreport.title == "Fair {i}" {{',
                 f'  External_Id__c = hash(email, visitreport.id, "{i}")', "  on create Contact__c = ref Contact",
                 "  Notes__c = truncate(answers.q_notes, 32000)", "}"]
    map_path = os.path.join(work, "m", "many.map")
    open(map_path, "w", encoding="utf-8").write("\n".join(text) + "\n")
    html_path = os.path.join(work, "many.html")
    p = subprocess.run([CRMMAP, "doc", map_path, "-o", html_path], capture_output=True, text=True)
    check(p.returncode == 0, "many: crmmap doc exits 0 for 20 entities " + p.stderr.strip()[:300])
    if p.returncode != 0:
        return
    root, (_, _, colours) = render(html_path, "many", os.path.join(work, "many.png"), 1600)
    facts = map_facts(read_map(map_path))
    check_flow("many", root, colours, facts)


def check_unmapped_required():
    """The Salesforce example updating Contacts without LastName: LastName is
    required (on create, so the checker allows it here) and unmapped."""
    work = os.path.join(OUT, "variant")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, ".git"))  # the mapping's folder tree ends here
    shutil.copytree(os.path.join(SRC, "examples", "schemas"), os.path.join(work, "schemas"))
    shutil.copy(os.path.join(SRC, "examples", "common.map"), work)     # the file the example includes
    os.makedirs(os.path.join(work, "salesforce"))
    text = open(os.path.join(SRC, "examples", "salesforce", "fair-leads.map"), encoding="utf-8").read()
    map_path = os.path.join(work, "salesforce", "no-lastname.map")
    open(map_path, "w", encoding="utf-8").write(re.sub(r"^  LastName .*\n", "", text.replace(
        "entity Contact upsert by Email", "entity Contact update by Email"), flags=re.M))
    html_path = os.path.join(work, "no-lastname.html")
    p = subprocess.run([CRMMAP, "doc", map_path, "-o", html_path], capture_output=True, text=True)
    check(p.returncode == 0, "variant: crmmap doc exits 0 without LastName " + (p.stderr.strip()[:200] if p.returncode else ""))
    if p.returncode != 0:
        return
    # The page names the shared file as the include line does, from the
    # mapping's folder: the absolute path it was opened by is this machine's.
    text = open(html_path, encoding="utf-8").read()
    check("<code>../common.map</code>" in text and work not in text,
          "variant: the included file is named from the mapping's folder, not by " + work)
    dom = chromium(["--dump-dom", "file://" + html_path])
    root = Tree(dom.stdout).root
    contact = next(s for s in root.all("section", "entity") if s.first("h2").text() == "Contact")
    rows = rows_by_field(contact.first("table", "unmapped"))
    tr, tds = rows.get("LastName", (None, None))
    check(tr is not None and "missing" in tr.attrs.get("class", "") and "req" in tds[2].classes()
          and "required but not filled" in tds[3].text(),
          "variant: unmapped required LastName is highlighted (tr.missing, td.req, note)")
    style = root.first("style").text()
    check("tr.missing td{background:#fde2e2}" in style, "variant: the page's style paints missing rows red")


def main():
    for system in sorted(KNOWN_FIELDS):
        check_example(system, os.path.join(SRC, "examples", system, "fair-leads.map"))
    maps = sorted(glob.glob(os.path.join(SRC, "examples", "*", "*.map")))
    found = sorted({os.path.basename(os.path.dirname(m)) for m in maps})
    check(found == sorted(KNOWN_FIELDS), f"every example system is covered ({found})")
    # The other examples of a system (contact-or-lead.map): a self-contained
    # page, each entity a section.
    for m in maps:
        if os.path.basename(m) == "fair-leads.map":
            continue
        name = os.path.relpath(m, os.path.join(SRC, "examples"))
        html_path = os.path.join(OUT, name.replace("/", "_") + ".html")
        p = subprocess.run([CRMMAP, "doc", m, "-o", html_path], capture_output=True, text=True)
        check(p.returncode == 0, f"{name}: crmmap doc exits 0 ({p.stderr.strip()[:200] if p.returncode else ''})")
        if p.returncode != 0:
            continue
        text = open(html_path, encoding="utf-8").read()
        no_external(text, name)
        entities = map_facts(read_map(m))["entities"]
        check(all(f"<h2>{e}</h2>" in text for e in entities), f"{name}: a section per entity {entities}")
        root, (_, _, colours) = render(html_path, name, os.path.join(OUT, name.replace("/", "_") + ".png"), 1200)
        check_flow(name, root, colours, map_facts(read_map(m)))
    check_many_entities()
    check_unmapped_required()
    print(f"{len(failures)} failed" if failures else "all doc page checks passed")
    return 1 if failures else 0


sys.exit(main())
