--system dynamics --entity account @CORPUS@/dynamics/drb_account_attributes_value_subset.json @CORPUS@/dynamics/msdocs_account_accountcategorycode_picklist_optionset.json
expected examples/schemas/dynamics
