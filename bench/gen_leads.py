#!/usr/bin/env python3
"""Writes N realistic snapADDY lead records (contact + visit report answers,
about 1 KB each, non-ASCII names) as NDJSON to stdout. Deterministic: the
same N gives the same file. Usage: gen_leads.py N [SEED]"""
import json
import random
import sys

FIRST = ["Anna", "Jürgen", "Zoë", "Łukasz", "Søren", "Ana María", "François", "Björn", "Chloé", "Mehmet",
         "Siobhán", "Dvořák", "Ingrid", "José", "Müller", "Renée", "Žofia", "Kaito", "Özge", "Nuño"]
LAST = ["Berger", "Schröder", "Nuñez", "Kowalczyk", "Ørsted", "García", "Lefèvre", "Åström", "Öztürk",
        "O'Brien", "Weiß", "Dubois", "Novák", "Costa", "Jäger", "Żak", "Yamada", "Fischer", "Brontë", "Ruiz"]
CITY = ["Würzburg", "München", "Zürich", "Kraków", "København", "Málaga", "Besançon", "Göteborg",
        "İstanbul", "Wien", "Köln", "Graz", "Brno", "Lisboa", "Düsseldorf"]
COUNTRY = ["DE", "AT", "CH", "PL", "DK", "ES", "FR", "SE", "TR", "NL"]
STREET = ["Juliuspromenade", "Hauptstraße", "Bahnhofstr.", "Rue de la Paix", "Kungsgatan", "Calle Mayor"]
FAIR = ["Hannover Messe 2026", "CeBIT 2026", "Medica Düsseldorf", "IFA Berlin", "Cannes Lions"]
INTEREST = ["very_interested", "interested", "not_interested"]
PRODUCTS = ["crm", "erp", "bi"]


def record(rnd, i):
    first, last = rnd.choice(FIRST), rnd.choice(LAST)
    mail = f"{first.split()[0].lower()}.{last.lower()}{i}@example.com".replace("'", "")
    r = {
        "firstName": first, "lastName": last, "organization": f"{last} & Söhne GmbH",
        "gender": rnd.choice([-1, 0, 1]), "title": rnd.choice(["", "Dr.", "Prof."]),
        "position": rnd.choice(["Einkaufsleiter", "CTO", "Responsable achats", "Head of Sales"]),
        "phone": f"+49 {rnd.randint(30, 999)} {rnd.randint(100000, 9999999)}",
        "mobile": f"+49 1{rnd.randint(50, 79)} {rnd.randint(1000000, 9999999)}",
        "email": mail if rnd.random() > 0.03 else None,
        "website": f"https://www.{last.lower()}.example",
        "street": f"{rnd.choice(STREET)} {rnd.randint(1, 200)}", "zip": f"{rnd.randint(10000, 99999)}",
        "city": rnd.choice(CITY), "country": rnd.choice(COUNTRY),
        "revenue": rnd.randint(1, 500) * 100000, "employees": rnd.randint(1, 5000),
        "newsletter": rnd.random() > 0.5,
        "note": "Besuch am Stand; Rückruf gewünscht. " * rnd.randint(1, 3),
        "createdBy": "messe-team@example.com",
        "visitreport": {"id": f"VR-{i:08d}", "title": rnd.choice(FAIR),
                        "created": f"2026-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}T10:{rnd.randint(10, 59)}:00Z"},
        "answers": {"q_interest": rnd.choice(INTEREST),
                    "q_products": rnd.sample(PRODUCTS, rnd.randint(0, 3)),
                    "q_notes": "Interesse an Schnittstelle zu SAP; Angebot bis Ende des Monats. "
                               * rnd.randint(1, 4)},
    }
    return r


def main():
    n = int(sys.argv[1])
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout
    for i in range(1, n + 1):
        out.write(json.dumps(record(rnd, i), ensure_ascii=False, separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
