--system salesforce @CORPUS@/salesforce/restforce_Whizbang_describe.json
expected examples/schemas/salesforce
