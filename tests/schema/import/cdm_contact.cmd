--system dynamics @CORPUS@/dynamics/cdm_Contact.cdm.json
expected examples/schemas/dynamics
