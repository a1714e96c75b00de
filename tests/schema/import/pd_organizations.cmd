--system pipedrive --entity organizations @CORPUS@/pipedrive/crmmap_fair_organizationFields.json
expected examples/schemas/pipedrive
