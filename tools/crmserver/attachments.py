"""attachments: what the local CRM server checks of files sent as base64 in
JSON (docs/files.md): the text is strict base64, the decoded file is within
the vendor's documented size for a JSON body, and the record the file is
linked to exists. The vendor modules call these from their validation."""
import base64
import binascii

# Salesforce, "Insert or Update Blob Data" (REST API Developer Guide): a
# non-multipart message is limited to 37.5 MB of base64-encoded data.
SF_MAX_BYTES = 37_500_000
# Dataverse: a note's attachment is limited by the organization's
# maxuploadfilesize, 5,242,880 bytes (5 MB) unless raised (organization
# EntityType, Web API reference).
DYN_MAX_BYTES = 5_242_880


def decoded_size(text):
    """The decoded size of strict base64 text, or None when it is not base64."""
    if not isinstance(text, str) or len(text) % 4:
        return None
    try:
        return len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return None


def sf_check(sf, sobject, fields, values, sf_error):
    """Per-record errors for a Salesforce record with a base64 field
    (ContentVersion): bad base64, too large, a link to a missing record."""
    if not any(f.get("type") == "base64" for f in fields.values()):
        return []
    users = {u["Id"] for u in sf.state.users["salesforce"]}
    for name, value in values.items():
        f = fields.get(name.lower(), {})
        if f.get("type") == "base64":
            size = decoded_size(value)
            if size is None:
                return [sf_error("INVALID_TYPE_ON_FIELD_IN_RECORD", "%s: value not of required type: not base64"
                                 % name, [name])]
            if size > SF_MAX_BYTES:
                return [sf_error("MAXIMUM_SIZE_OF_DOCUMENT", "%s: the file is %d bytes, over %d" %
                                 (name, size, SF_MAX_BYTES), [name])]
        elif f.get("type") == "reference" and value not in (None, ""):
            if value not in users and not any(value in sf.table(t) for t in f.get("referenceTo", [])):
                return [sf_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [name])]
    return []


def dyn_check(logical, body):
    """Why Dataverse refuses a note's file, or None (its link is checked by
    the lookup binding, which refuses a record that does not exist)."""
    if logical != "annotation" or body.get("documentbody") is None:
        return None
    size = decoded_size(body["documentbody"])
    if size is None:
        return "documentbody: the value is not valid base64"
    if size > DYN_MAX_BYTES:
        return "documentbody: the attachment is %d bytes, over the maximum of %d" % (size, DYN_MAX_BYTES)
    return None
