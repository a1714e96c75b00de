--system salesforce @CORPUS@/salesforce/cumulusci_Contact_describe.json
expected examples/schemas/salesforce
