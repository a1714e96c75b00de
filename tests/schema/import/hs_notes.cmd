--system hubspot --entity notes @CORPUS@/hubspot/handwritten_crm_v3_properties_notes.json
expected examples/schemas/hubspot
