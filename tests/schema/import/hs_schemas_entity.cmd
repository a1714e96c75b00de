--system hubspot --entity p_visit_reports @CORPUS@/hubspot/handwritten_crm_v3_schemas.json
expected examples/schemas/hubspot
