#!/usr/bin/env python3
"""gen_fair_mix: N snapADDY fair records, deterministic for a seed, with the
mix of issue 15's "Done when": 40% visitors the CRM already holds as
contacts, 30% a fake phone number (in `phone` or in `mobile`), 10% an
answer the questionnaire does not list, 5% a European date ("05.03.2026")
as the visit's date. The last three are disjoint, so each record has at
most one bad value and its expected error-file line is known; which visitors
are known is drawn apart, so bad values meet both branches (update or
fallback). Every record has a visit report; its notes name the record, so a
test can tell which record a report on the server belongs to.

As a module: generate(n, seed) -> (records, Expect). As a script:
gen_fair_mix.py N SEED OUT.ndjson [EXPECT.json] writes them."""
import json
import random
import sys

FAKE_PHONES = ["ext 12", "n/a", "keine", "see card", "+49 call me", "tbd"]
UNKNOWN = ["lukewarm", "maybe_later", "undecided"]


class Expect:
    """Indices (1-based) by kind: known (the CRM holds the visitor),
    phone {i: "phone" or "mobile"}, unknown {i: the answer}, eudate."""

    def __init__(self, known, phone, unknown, eudate):
        self.known, self.phone, self.unknown, self.eudate = known, phone, unknown, eudate

    def as_json(self):
        return {"known": sorted(self.known), "phone": {str(k): v for k, v in sorted(self.phone.items())},
                "unknown": {str(k): v for k, v in sorted(self.unknown.items())}, "eudate": sorted(self.eudate)}


def email(i):
    return "visitor%05d@example.com" % i


def phone(i):
    return "0931 %07d" % i


def generate(n, seed):
    rng = random.Random(seed)
    order = list(range(1, n + 1))
    rng.shuffle(order)
    n_date, n_phone, n_unknown = n * 5 // 100, n * 30 // 100, n * 10 // 100
    eudate = set(order[:n_date])
    phone_at = {i: rng.choice(("phone", "mobile")) for i in order[n_date:n_date + n_phone]}
    unknown = {i: rng.choice(UNKNOWN) for i in order[n_date + n_phone:n_date + n_phone + n_unknown]}
    known = set(rng.sample(range(1, n + 1), n * 40 // 100))
    recs = []
    for i in range(1, n + 1):
        created = "%02d.%02d.2026" % (rng.randint(1, 28), rng.randint(1, 12)) if i in eudate \
            else "2026-04-%02dT10:15:00+02:00" % (1 + i % 28)
        rec = {"firstName": "First%d" % i, "lastName": "Last%d" % i, "email": email(i), "phone": phone(i),
               "mobile": "+49 171 %07d" % i, "organization": "Org %d" % (i % 50), "position": "Buyer %d" % i,
               "city": "Würzburg", "country": "DE", "gender": rng.choice((-1, 0, 1)),
               "visitreport": {"id": "vr-%d" % i, "title": "Fair %d" % (i % 3), "created": created},
               "answers": {"q_interest": unknown.get(i) or rng.choice(("very_interested", "interested",
                                                                          "not_interested")),
                           "q_notes": "record %d" % i}}
        if i in phone_at:
            rec[phone_at[i]] = rng.choice(FAKE_PHONES)
        recs.append(rec)
    return recs, Expect(known, phone_at, unknown, eudate)


def write(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for rec in recs:
            f.write(json.dumps(rec) + "\n")


def main():
    n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    recs, expect = generate(n, seed)
    write(out, recs)
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w", encoding="utf-8") as f:
            json.dump(expect.as_json(), f, indent=1)


if __name__ == "__main__":
    main()
