--system salesforce @CORPUS@/salesforce/cumulusci_Account_describe.json
expected examples/schemas/salesforce
