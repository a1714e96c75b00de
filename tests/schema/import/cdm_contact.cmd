--system dynamics @CORPUS@/dynamics/cdm_Contact.cdm.json @SOURCE@/examples/vendor/dynamics/contact_manytoone.json @SOURCE@/examples/vendor/dynamics/contact_keys.json
expected examples/schemas/dynamics
