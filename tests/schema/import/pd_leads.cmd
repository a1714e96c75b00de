--system pipedrive --entity leads @CORPUS@/pipedrive/crmmap_fair_leadFields.json
expected examples/schemas/pipedrive
