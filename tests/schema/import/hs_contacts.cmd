--system hubspot --entity contacts @CORPUS@/hubspot/handwritten_crm_v3_properties_contacts.json
expected examples/schemas/hubspot
