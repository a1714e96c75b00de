"""The field definitions the include tests (include_paths.py,
include_only.py) check their small mappings against: a Salesforce Contact
keyed by Email with a Title, and a snapADDY lead with email and gender."""
SCHEMA = {"format": "crmmap-schema/1", "system": "salesforce", "entity": "Contact",
          "fields": [{"name": "Email", "type": "email", "length": 80, "createable": True,
                      "updateable": True, "external_id": True},
                     {"name": "Title", "type": "string", "length": 40, "createable": True, "updateable": True}]}
SOURCE = {"format": "crmmap-schema/1", "system": "snapaddy", "entity": "lead",
          "fields": [{"name": "email", "type": "email", "length": 80},
                     {"name": "gender", "type": "string", "length": 2}]}
