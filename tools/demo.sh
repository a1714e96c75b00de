#!/usr/bin/env bash
# The main job on the bundled examples: build crmmap; check every example
# mapping against its committed field definitions and confirm it is in the
# canonical layout of `crmmap fmt`; run its test cases (`crmmap test`, a JUnit
# report for each in build/demo); compile each to verified bytecode and run
# it offline (--dry-run) on the bundled snapADDY leads, printing what each
# CRM would receive; then start the local CRM server (tools/crmserver),
# check the Salesforce example against it (doctor), plan the transfer, really
# transfer the leads to it, show what the server holds; then transfer them
# again with the Contact-or-Lead example (contact-or-lead.map) to a fresh org
# holding one of the visitors as a Contact, show the Contact updated, the
# Leads and the visit reports linked to them, and stop the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
crmmap=./build/crmmap
records=examples/records/fair-leads.ndjson
out=build/demo
mkdir -p "$out"

shopt -s nullglob
maps=(examples/*/*.map)
if ((${#maps[@]} == 0)); then
  echo "demo: no example mappings" >&2
  exit 1
fi
for m in "${maps[@]}"; do
  echo "== crmmap check $m"
  "$crmmap" check "$m"
done
echo "== crmmap fmt --check (every example, and the file they include, is in canonical layout)"
"$crmmap" fmt --check "${maps[@]}" examples/common.map
for m in "${maps[@]}"; do
  echo "== crmmap test $m"
  "$crmmap" test "$m" --junit "$out/$(basename "$(dirname "$m")").junit.xml" 2>/dev/null
done

for m in "${maps[@]}"; do
  # salesforce.mapc for a CRM's fair-leads.map, salesforce-contact-or-lead.mapc for another beside it
  system=$(basename "$(dirname "$m")")
  stem=$(basename "$m" .map)
  [[ $stem == fair-leads ]] || system=$system-$stem
  mapc="$out/$system.mapc"
  echo "== crmmap compile $m -o $mapc"
  "$crmmap" compile "$m" -o "$mapc" 2>/dev/null
  "$crmmap" verify "$mapc"
  echo "== crmmap run $mapc --input $records --dry-run"
  # Exit 3 means some records were rejected: record 4 of the sample has
  # neither e-mail nor phone, and the mappings refuse it on purpose.
  status=0
  "$crmmap" run "$mapc" --input "$records" --dry-run || status=$?
  if ((status != 0 && status != 3)); then
    echo "demo: run failed with exit $status" >&2
    exit 1
  fi
done

echo "== the local CRM server (tools/crmserver, 127.0.0.1 only)"
token=demo-token-$$
python3 tools/crmserver/crmserver.py --port 0 --token "$token" --corpus tests/corpus >"$out/server.port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q '^PORT ' "$out/server.port" 2>/dev/null && break
  sleep 0.1
done
url="http://127.0.0.1:$(awk '/^PORT /{print $2}' "$out/server.port")"
echo "listening on $url"
# The server plays the Salesforce org the example's schemas were pulled from:
# its custom Visit_Report__c object, ContentVersion with its External_Id__c
# (the files the example attaches) and its users.
python3 - "$url" <<'PY'
import json, sys, urllib.request
def post(path, body):
    urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/__admin/" + path, method="POST",
                                                  data=json.dumps(body).encode())).read()
with open("examples/vendor/salesforce/Visit_Report__c_describe.json") as f:
    post("metadata", {"system": "salesforce", "entity": "Visit_Report__c", "document": json.load(f)})
with open("examples/vendor/salesforce/ContentVersion_describe.json") as f:
    post("metadata", {"system": "salesforce", "entity": "ContentVersion", "document": json.load(f)})
with open("examples/schemas/salesforce/users.json") as f:
    post("users", {"system": "salesforce", "users": [
        {"Id": u["id"], "Email": u["email"], "Name": u["name"], "IsActive": u["active"]} for u in json.load(f)["users"]]})
PY

# A real transfer of the sample with the compiled mapping $1, a fresh journal
# and error file; exit 3 is record 4, which the mappings refuse.
transfer() {
  rm -f "$out/journal" "$out/errors.ndjson"
  local status=0
  CRM_TOKEN=$token "$crmmap" run "$1" --input "$records" --url "$url" --plain-http --token-env CRM_TOKEN \
    --journal "$out/journal" --errors "$out/errors.ndjson" || status=$?
  if ((status != 0 && status != 3)); then
    echo "demo: the transfer failed with exit $status" >&2
    exit 1
  fi
}

echo "== crmmap doctor $out/salesforce.mapc (connection, credentials, schema drift, users)"
CRM_TOKEN=$token "$crmmap" doctor "$out/salesforce.mapc" --url "$url" --plain-http --token-env CRM_TOKEN

echo "== crmmap plan $out/salesforce.mapc --input $records (what the transfer will change)"
CRM_TOKEN=$token "$crmmap" plan "$out/salesforce.mapc" --input "$records" --url "$url" --plain-http \
  --token-env CRM_TOKEN | tail -4 || true

echo "== crmmap run $out/salesforce.mapc --input $records (a real transfer)"
transfer "$out/salesforce.mapc"
echo "== the error file $out/errors.ndjson"
cat "$out/errors.ndjson"
echo "== what the server holds"
python3 - "$url" <<'PY'
import json, sys, urllib.request
state = json.load(urllib.request.urlopen(sys.argv[1] + "/__admin/state"))["records"]["salesforce"]
contacts = state.get("Contact", {})
for c in contacts.values():
    print("Contact %s  %-28s %-10s %-14s owner %s  lead source %s" % (
        c["Id"], c.get("Email"), c.get("LastName"), c.get("Phone") or "-", c.get("OwnerId"), c.get("LeadSource")))
for v in state.get("Visit_Report__c", {}).values():
    print("Visit_Report__c %s  %s %s  -> Contact %s (%s)" % (
        v["Id"], v.get("Fair__c"), v.get("Visit_Date__c"), v.get("Contact__c"),
        contacts.get(v.get("Contact__c"), {}).get("Email")))
for v in state.get("ContentVersion", {}).values():
    print("ContentVersion %s  %-14s -> Contact %s (%s)" % (
        v["Id"], v.get("PathOnClient"), v.get("FirstPublishLocationId"),
        contacts.get(v.get("FirstPublishLocationId"), {}).get("Email")))
PY

echo "== the duplicate check: crmmap run $out/salesforce-contact-or-lead.mapc (Contact or Lead)"
# A fresh org holding one visitor of the sample, Lena Wagner, as a Contact:
# the run updates her and makes a Lead of every other visitor, each visit
# report and file linked to whichever was written.
python3 - "$url" <<'PY'
import json, sys, urllib.request
def post(path, body):
    urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/__admin/" + path, method="POST",
                                                  data=json.dumps(body).encode())).read()
post("reset", {})
with open("examples/vendor/salesforce/Visit_Report__c_describe.json") as f:
    post("metadata", {"system": "salesforce", "entity": "Visit_Report__c", "document": json.load(f)})
# The campaign members a visit report's campaignId makes (none in the sample).
with open("examples/vendor/salesforce/CampaignMember_describe.json") as f:
    post("metadata", {"system": "salesforce", "entity": "CampaignMember", "document": json.load(f)})
# The files it attaches to the Contact or the Lead (ContentVersion with its External_Id__c).
with open("examples/vendor/salesforce/ContentVersion_describe.json") as f:
    post("metadata", {"system": "salesforce", "entity": "ContentVersion", "document": json.load(f)})
post("records", {"system": "salesforce", "table": "Contact", "records": [
    {"Email": "lena.wagner@example.at", "LastName": "Wagner", "Phone": "+43 316 555 0100"}]})
PY
transfer "$out/salesforce-contact-or-lead.mapc"
echo "== what the server holds"
python3 - "$url" <<'PY'
import json, sys, urllib.request
state = json.load(urllib.request.urlopen(sys.argv[1] + "/__admin/state"))["records"]["salesforce"]
held = {r["Id"]: ("Contact", r) for r in state.get("Contact", {}).values()}
held.update({r["Id"]: ("Lead", r) for r in state.get("Lead", {}).values()})
for kind, r in held.values():
    print("%-7s %s  %-28s %-10s %-14s lead source %s" % (
        kind, r["Id"], r.get("Email"), r.get("LastName"), r.get("Phone") or "-", r.get("LeadSource")))
for v in state.get("Visit_Report__c", {}).values():
    to = v.get("Contact__c") or v.get("Lead__c")
    kind, r = held.get(to, ("?", {}))
    print("Visit_Report__c %s  %s %s  -> %s %s (%s)" % (v["Id"], v.get("Fair__c"), v.get("Visit_Date__c"), kind, to,
                                                     r.get("Email")))
for v in state.get("ContentVersion", {}).values():
    kind, r = held.get(v.get("FirstPublishLocationId"), ("?", {}))
    print("ContentVersion %s  %-14s -> %s %s (%s)" % (v["Id"], v.get("PathOnClient"), kind,
                                                    v.get("FirstPublishLocationId"), r.get("Email")))
PY
kill "$server"
wait "$server" 2>/dev/null || true
trap - EXIT
echo "demo: every example checks, is formatted, passes its tests, compiles, verifies and runs; the Salesforce examples were transferred"
