#!/usr/bin/env python3
"""snapADDY's payloads as it publishes them (docs/serve.md, "What snapADDY
sends"), through `crmmap serve` into tools/crmserver with the Salesforce
example: the VisitReport export in the REST resources' flat shape, whose
answer options name the chosen option by their id (there is no
questionOptionId); a participant's files, its checked* members, its
createdByUserId and the template's campaignId and customFields are source
fields, and the app's own bookkeeping (imageLocal, exportedToExcel, ...) is
not; and a Contacts webhook body with "country": "Deutschland" and gender 0.

Usage: test_snapaddy_shapes.py CRMMAP REPO_ROOT WORKDIR"""
import base64
import json
import os

from servelib import Serve, contacts, setup
import runlib

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
here = os.path.dirname(os.path.abspath(__file__))

runlib.reset()
runlib.content_version()
s = Serve(crmmap, mapping, os.path.join(work, "state"), "--batch-window-ms", "50")

# The flat export, and one more participant without e-mail or phone: the
# mapping rejects it, so the error file shows the record serve built.
with open(os.path.join(here, "visitreport_flat.json"), encoding="utf-8") as f:
    vr = json.load(f)
vr["participants"].append({
    "id": "vr-ish-3", "questionnaireId": "b7fLatQnR2kM9x01", "created": "2027-03-18T12:00:00+01:00",
    "createdByUserId": "9zkArmPLane1jK20", "checked": True, "checkedAt": "2027-03-19T08:05:00+01:00",
    "checkedBy": "4kQmZr8PxW2nB7aa", "firstName": "Kai", "lastName": "Ohnekontakt", "country": "Österreich",
    "attachments": ["https://media.example.com/vr-ish-3/signature.pdf"],
    "image": "https://media.example.com/vr-ish-3/photo.jpg", "imageLocal": "file:///var/mobile/p.jpg",
    "bcImage": "https://media.example.com/vr-ish-3/card.jpg", "bcImageLocal": "file:///var/mobile/c.jpg",
    "drawing": "", "exportedToExcel": True, "snapaddyParserResponseText": "Kai Ohnekontakt", "qrScan": False})
vr["answers"].append({"id": "A5", "participantId": "vr-ish-3", "questionId": "QA"})
vr["answerOptions"].append({"id": "OA1", "participantId": "vr-ish-3", "questionId": "QA", "text": None})
st, body = s.post("/visitreports", vr)
c.check(st == 202 and (body["accepted"], body["rejected"]) == (2, 1), "flat export: %s %s" % (st, body))

# The Contacts webhook: one object, the fields of snapADDY's example.
contact = {"city": "Würzburg", "country": "Deutschland", "email": "jana.keller@example.de", "fax": "",
           "firstName": "Jana", "gender": 0, "image": "", "lastName": "Keller", "mobile": "",
           "organization": "Keller Logistik GmbH", "phone": "0931 4662 1201", "position": "Einkauf",
           "xing": "", "linkedin": "", "state": "", "street": "Juliuspromenade 3", "title": "", "website": "",
           "zip": "97070", "vat": "DE123456789"}
st, body = s.post("/records", contact)
c.check(st == 202, "contacts webhook: %s %s" % (st, body))

status = s.wait_sent()
c.check(status["queue"]["pending"] == 0, "everything sent: %s" % status)
visits = sorted([(v.get("Interest__c"), v.get("Products__c"), v.get("Notes__c"))
                 for v in runlib.records("salesforce", "Visit_Report__c").values()
                 if v.get("Fair__c") == "ISH Frankfurt 2027"], key=repr)
c.check(visits == sorted([("Cold", "scanner", None), ("Hot", "crm;scanner", "Call back in May.")], key=repr),
        "answer options by their id: %s" % visits)
people = contacts()
petra, tom, jana = (people.get(e, {}) for e in
                    ("petra.vogel@example.de", "tom.berg@example.nl", "jana.keller@example.de"))
c.check(petra.get("MailingCountry") == "DE" and petra.get("Salutation") == "Ms."
        and petra.get("Phone") == "+49691234567", "Deutschland and gender 1 (female): %s" % petra)
c.check(tom.get("MailingCountry") == "NL" and tom.get("Salutation") == "Mr.", "Niederlande, gender 0 (male): %s" % tom)
c.check(jana.get("MailingCountry") == "DE" and jana.get("Phone") == "+499314662120" + "1",
        "contacts webhook, Deutschland: %s" % jana)
c.check(status["units"]["partial"] == 0 and status["units"]["failed"] == 0, "units: %s" % status["units"])

# Petra's files, data: URIs in the export: her signature (the attachment
# named so) and both card sides, attached to her Contact byte for byte.
petra_vr = next(p for p in vr["participants"] if p["id"] == "vr-ish-1")
want = sorted((petra.get("Id"), name, base64.b64decode(v.split(",", 1)[1])) for name, v in
              (("signature.pdf", petra_vr["attachments"][0]), ("card-front.png", petra_vr["bcImage"]),
               ("card-back.png", petra_vr["bcImageBackside"])))
got = sorted((v.get("FirstPublishLocationId"), v.get("PathOnClient"), base64.b64decode(v.get("VersionData") or ""))
             for v in runlib.records("salesforce", "ContentVersion").values())
c.check(got == want, "the export's signature and card sides attached to the Contact: %s" % [g[:2] for g in got])

with open(os.path.join(work, "state", "errors.ndjson"), encoding="utf-8") as f:
    errors = [json.loads(line) for line in f]
c.check(len(errors) == 1, "one error file line: %s" % errors)
rec = errors[0].get("input", {}) if errors else {}
c.check(rec.get("visitreport") == {
    "id": "vr-ish-3", "title": "ISH Frankfurt 2027", "created": "2027-03-18T12:00:00+01:00",
    "createdByUserId": "9zkArmPLane1jK20", "checked": True, "checkedAt": "2027-03-19T08:05:00+01:00",
    "checkedBy": "4kQmZr8PxW2nB7aa", "campaignId": "7015g000000ISH27", "customFields": {"costCentre": "4711"},
    "questionnaireId": "ish-2027"}, "the report's members: %s" % rec.get("visitreport"))
c.check(rec.get("image") == "https://media.example.com/vr-ish-3/photo.jpg"
        and rec.get("bcImage") == "https://media.example.com/vr-ish-3/card.jpg"
        and rec.get("attachments") == ["https://media.example.com/vr-ish-3/signature.pdf"],
        "the files are source fields: %s" % rec)
leaked = sorted(k for k in ("imageLocal", "bcImageLocal", "exportedToExcel", "snapaddyParserResponseText",
                            "qrScan", "checked", "createdByUserId", "id") if k in rec)
c.check(leaked == [], "no bookkeeping among the contact fields: %s" % leaked)
c.check(rec.get("answers") == {"q_interest": "very_interested"}, "answers: %s" % rec.get("answers"))

c.check(s.stop() == 0, "SIGTERM: exit 0")
c.exit()
