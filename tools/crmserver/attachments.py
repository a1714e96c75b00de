"""attachments: what the local CRM server checks of files (docs/files.md):
sent as base64 in JSON, the text is strict base64, the decoded file is
within the vendor's documented size for a JSON body, and the record the
file is linked to exists; uploaded as multipart/form-data (HubSpot's
POST /files/v3/files, Pipedrive's POST /v1/files), the file part is
there, within the size, and its links exist. An upload is kept as its
name, size and SHA-256 (never the bytes), which the tests compare. The
vendor modules call these from their validation and routing."""
import base64
import binascii
import email.parser
import email.policy
import hashlib
import json

# Salesforce, "Insert or Update Blob Data" (REST API Developer Guide): a
# non-multipart message is limited to 37.5 MB of base64-encoded data.
SF_MAX_BYTES = 37_500_000
# Dataverse: a note's attachment is limited by the organization's
# maxuploadfilesize, 5,242,880 bytes (5 MB) unless raised (organization
# EntityType, Web API reference).
DYN_MAX_BYTES = 5_242_880
# HubSpot's Files API defers its limits to a Knowledge Base article we did
# not get to check; Pipedrive's API reference states none. Both are
# assumed here (docs/files.md says so): large enough for any scan.
HS_FILE_MAX_BYTES = 50 * 1024 * 1024
PD_FILE_MAX_BYTES = 50 * 1024 * 1024


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


def parts_of(content_type, raw):
    """The form-data parts of a multipart body: name -> (bytes, file name or
    None), or None when it is not multipart/form-data or cannot be read."""
    if not content_type or not content_type.startswith("multipart/form-data"):
        return None
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    if not msg.is_multipart():
        return None
    out = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            out[name] = (part.get_payload(decode=True) or b"", part.get_filename())
    return out


def kept(fid, data, name, **more):
    """What the server keeps of an uploaded file."""
    return dict(more, id=fid, name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def hs_upload(hs, content_type, raw, hs_error):
    """POST /files/v3/files: the file, with options.access and a folderPath
    or folderId (Files API guide); answered 201 with the file (its id a
    string)."""
    parts = parts_of(content_type, raw)
    if parts is None or "file" not in parts:
        return 400, hs_error(400, "VALIDATION_ERROR", "a file upload is multipart/form-data with a file part")
    text = lambda k: parts[k][0].decode("utf-8", "replace") if k in parts else None
    try:
        options = json.loads(text("options") or "{}")
        access = options.get("access")
    except (ValueError, AttributeError):
        options, access = {}, None
    if access not in ("PUBLIC_INDEXABLE", "PUBLIC_NOT_INDEXABLE", "HIDDEN_INDEXABLE", "HIDDEN_NOT_INDEXABLE",
                      "HIDDEN_PRIVATE", "PRIVATE"):
        return 400, hs_error(400, "VALIDATION_ERROR", "options.access is required")
    if not text("folderPath") and not text("folderId"):
        return 400, hs_error(400, "VALIDATION_ERROR", "folderId or folderPath is required")
    data = parts["file"][0]
    if len(data) > HS_FILE_MAX_BYTES:
        return 413, hs_error(413, "VALIDATION_ERROR", "the file is %d bytes, over %d" % (len(data), HS_FILE_MAX_BYTES))
    same = hs_duplicate(hs, options, data, text("folderPath"), hs_error)
    if same is not None:
        return same
    fid = str(hs.state.next_number() + 5000)
    rec = kept(fid, data, text("fileName") or parts["file"][1], access=access, folderPath=text("folderPath"))
    hs.state.store("hubspot", "files", fid, rec)
    return 201, rec


def hs_duplicate(hs, options, data, folder, hs_error):
    """The upload options' duplicate validation (Files API v3, "Changes in
    v3": strategy NONE, REJECT or RETURN_EXISTING in scope ENTIRE_PORTAL or
    EXACT_FOLDER): with RETURN_EXISTING, a file of the same bytes (in the
    folder, for EXACT_FOLDER) is answered instead of a new one; None: upload.
    HubSpot does not say what a duplicate is nor how REJECT answers: the
    server takes the same bytes, and refuses REJECT as not emulated."""
    strategy = options.get("duplicateValidationStrategy", "NONE")
    scope = options.get("duplicateValidationScope", "ENTIRE_PORTAL")
    if strategy not in ("NONE", "REJECT", "RETURN_EXISTING") or scope not in ("ENTIRE_PORTAL", "EXACT_FOLDER"):
        return 400, hs_error(400, "VALIDATION_ERROR", "duplicateValidationStrategy %s or duplicateValidationScope %s "
                             "is not a valid option" % (strategy, scope))
    if strategy == "REJECT":
        return 400, hs_error(400, "VALIDATION_ERROR", "duplicateValidationStrategy REJECT is not emulated here")
    if strategy == "NONE":
        return None
    sha = hashlib.sha256(data).hexdigest()
    for rec in hs.state.records["hubspot"].get("files", {}).values():
        if rec["sha256"] == sha and (scope == "ENTIRE_PORTAL" or rec.get("folderPath") == folder):
            return 200, rec
    return None


def hs_note_check(hs, obj, props, index, hs_error):
    """A note's hs_attachment_ids (';'-separated file ids) must name files
    uploaded before, or None."""
    ids = (props or {}).get("hs_attachment_ids") if obj == "notes" else None
    files = hs.state.records["hubspot"].get("files", {})
    for fid in (ids or "").split(";") if ids else []:
        if fid not in files:
            return hs_error(400, "VALIDATION_ERROR", "hs_attachment_ids: file %s does not exist" % fid,
                            {"propertyName": ["hs_attachment_ids"], "index": [str(index)]})
    return None


def pd_upload(pd, content_type, raw, error):
    """POST /v1/files: the file and at least one existing record it belongs
    to (deal_id, person_id, org_id, product_id, activity_id, lead_id)."""
    parts = parts_of(content_type, raw)
    if parts is None or "file" not in parts:
        raise error(400, "No files were provided with the request.")
    data, name = parts["file"]
    if len(data) > PD_FILE_MAX_BYTES:
        raise error(413, "the file is %d bytes, over %d" % (len(data), PD_FILE_MAX_BYTES))
    links = {}
    tables = {"deal_id": "deals", "person_id": "persons", "org_id": "organizations", "lead_id": "leads"}
    for key, table in tables.items():
        if key in parts:
            value = parts[key][0].decode("utf-8", "replace")
            if not pd.exists(table, value):
                raise error(400, "%s %s not found" % (key, value))
            links[key] = int(value) if value.isdigit() else value
    if not links:
        raise error(400, "A file must belong to a deal, a person, an organization, a product, an activity or a lead")
    fid = pd.state.next_number()
    rec = kept(fid, data, name, **links)
    pd.state.store("pipedrive", "files", str(fid), rec)
    return 201, {"success": True, "data": rec}
