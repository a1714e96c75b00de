--system salesforce @CORPUS@/salesforce/cumulusci_Lead_describe.json
expected examples/schemas/salesforce
