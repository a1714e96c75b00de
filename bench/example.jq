# example.jq: example.map's transformation written for jq 1.6 and gojq, for
# the benchmark (run.sh). Same records out, in jq's compact JSON spelling.
#   jq -nc -f example.jq < leads.ndjson
def blank: . == null or (type == "string" and test("^\\s*$"));
def clean: if . == null then null else sub("^\\s+"; "") | sub("\\s+$"; "") | ascii_downcase end;
def omit_empty: with_entries(select(.value | blank | not));
def interest: {"very_interested": "Hot", "interested": "Warm", "not_interested": "Cold"}[.];
foreach inputs as $r (0; . + 1;
  . as $n
  | ($r.email | clean) as $email
  | (if ($r.email | blank) and ($r.phone | blank) then
       {record: $n, entity: "Contact", reject: "e-mail or phone is needed", line: 35}
     elif ($email | blank) then
       {record: $n, entity: "Contact", reject: "the key Email has no value", line: 15}
     else
       {record: $n, entity: "Contact", op: "upsert", key: {Email: $email},
        payload: ({Email: $email, FirstName: $r.firstName, LastName: ($r.lastName // "(unknown)"),
                   MailingCity: $r.city,
                   Rating__c: ($r.answers.q_interest | if . == null then null else interest end),
                   Products__c: (($r.answers.q_products // []) | join(";")),
                   Revenue__c: $r.revenue, Employees__c: $r.employees,
                   HasOptedOutOfEmail: ($r.newsletter | not),
                   OwnerId: (if ["DE", "AT", "CH"] | any(. == $r.country) then "0055g000001AbcdAAA"
                             else "0055g000001AbcfAAA" end)} | omit_empty),
        if_empty: ({Phone: $r.phone} | omit_empty),
        on_create: {LeadSource: "Trade Fair"}}
     end) as $contact
  | $contact,
    (if $r.visitreport == null then empty
     elif $contact.reject then {record: $n, entity: "Visit_Report__c", skip: "parent Contact was rejected"}
     else ($email + "/" + $r.visitreport.id) as $id
       | {record: $n, entity: "Visit_Report__c", op: "create", key: {External_Id__c: $id},
          payload: ({External_Id__c: $id, Contact__c: {ref: "Contact"}, Fair__c: $r.visitreport.title}
                    | omit_empty),
          if_empty: {}, on_create: {}}
     end))
