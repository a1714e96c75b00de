#!/usr/bin/env bash
# doctor and plan against tools/crmserver: 10,000 leads into the Salesforce example, a third of them
# already in the CRM; prints time, peak memory and the requests each made. Run from the repository
# root after building: bash bench/plan_speed.sh
if [ -z "${CRMSERVER_URL:-}" ]; then exec python3 tools/crmserver/with_server.py -- bash "$0"; fi
set -e
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT; export T
python3 - <<PY
import json, os, urllib.request
U=os.environ["CRMSERVER_URL"]
def post(p,b): urllib.request.urlopen(urllib.request.Request(U+"/__admin/"+p,data=json.dumps(b).encode(),method="POST")).read()
post("metadata",{"system":"salesforce","entity":"Visit_Report__c","document":json.load(open("examples/vendor/salesforce/Visit_Report__c_describe.json"))})
us=json.load(open("examples/schemas/salesforce/users.json"))["users"]
post("users",{"system":"salesforce","users":[{"Id":u["id"],"Email":u["email"],"Name":u["name"],"IsActive":u["active"]} for u in us]})
post("records",{"system":"salesforce","table":"Contact","records":[{"Email":"lead%05d@example.com"%i,"LastName":"L%d"%i} for i in range(0,10000,3)]})
with open(os.environ["T"]+"/leads.ndjson","w") as f:
    for i in range(10000): f.write(json.dumps({"email":"lead%05d@example.com"%i,"lastName":"L%d"%i,"country":"DE","phone":"0931 %07d"%i})+"\n")
PY
build/crmmap compile examples/salesforce/fair-leads.map -o "$T"/sf.mapc 2>/dev/null
r0=$(curl -s $CRMSERVER_URL/__admin/state | python3 -c "import json,sys;print(json.load(sys.stdin)['requests'])")
/usr/bin/time -f "doctor: %e s, %M KB" build/crmmap doctor "$T"/sf.mapc --url $CRMSERVER_URL --plain-http >/dev/null
r1=$(curl -s $CRMSERVER_URL/__admin/state | python3 -c "import json,sys;print(json.load(sys.stdin)['requests'])")
/usr/bin/time -f "plan 10000: %e s, %M KB" build/crmmap plan "$T"/sf.mapc --input "$T"/leads.ndjson --url $CRMSERVER_URL --plain-http --format json | tail -1
r2=$(curl -s $CRMSERVER_URL/__admin/state | python3 -c "import json,sys;print(json.load(sys.stdin)['requests'])")
echo "doctor requests: $((r1-r0)); plan requests: $((r2-r1))"
