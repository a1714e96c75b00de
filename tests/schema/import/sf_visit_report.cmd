--system salesforce @SOURCE@/examples/vendor/salesforce/Visit_Report__c_describe.json
expected examples/schemas/salesforce
