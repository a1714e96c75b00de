--system pipedrive --entity persons @CORPUS@/pipedrive/crmmap_fair_personFields.json
expected examples/schemas/pipedrive
