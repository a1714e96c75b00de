--system dynamics @CORPUS@/dynamics/cdm_crmCommon_Lead.cdm.json @SOURCE@/examples/vendor/dynamics/lead_keys.json
expected examples/schemas/dynamics
