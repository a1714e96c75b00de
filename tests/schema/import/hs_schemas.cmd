--system hubspot @CORPUS@/hubspot/handwritten_crm_v3_schemas.json
expected examples/schemas/hubspot
