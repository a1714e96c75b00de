"""sf_campaigns: Salesforce's CampaignMember as the Object Reference
describes it (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_campaignmember.htm):
a member links an existing Campaign to a contact or a lead, and "the API
determines whether a record exists with the specified CampaignId and either
ContactId or LeadId ... If the record exists, an error is returned and no
update is made" (DUPLICATE_VALUE, "Already a campaign member."). Campaigns
are seeded with /__admin/records (table Campaign)."""


def member_key(rec):
    """The person a member is unique by: its contact, else its lead."""
    if rec.get("ContactId"):
        return ("ContactId", rec["ContactId"])
    if rec.get("LeadId"):
        return ("LeadId", rec["LeadId"])
    return None


def check_create(sf, rec, seen, sf_error):
    """Why Salesforce refuses to create the member rec, or []; seen holds
    the members the same request created before it."""
    campaign = rec.get("CampaignId")
    if campaign in (None, ""):
        return [sf_error("REQUIRED_FIELD_MISSING", "Required fields are missing: [CampaignId]", ["CampaignId"])]
    if campaign not in sf.table("Campaign"):
        return [sf_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["CampaignId"])]
    person = member_key(rec)
    if person is None:
        return [sf_error("REQUIRED_FIELD_MISSING", "Required fields are missing: [ContactId]", ["ContactId"])]
    field, pid = person
    target = "Contact" if field == "ContactId" else "Lead"
    if pid not in sf.table(target):
        return [sf_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field])]
    key = ("CampaignMember", campaign, field, pid)
    if key in seen or any(r.get("CampaignId") == campaign and member_key(r) == person
                          for r in sf.table("CampaignMember").values()):
        return [sf_error("DUPLICATE_VALUE", "Already a campaign member.")]
    seen.add(key)
    return []
