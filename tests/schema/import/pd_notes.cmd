--system pipedrive --entity notes @CORPUS@/pipedrive/crmmap_fair_noteFields.json
expected examples/schemas/pipedrive
