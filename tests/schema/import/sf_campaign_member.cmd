--system salesforce @SOURCE@/examples/vendor/salesforce/CampaignMember_describe.json
expected examples/schemas/salesforce
