#!/usr/bin/env python3
"""SIGHUP reloads what an operator rotates without a restart (issue 20,
"Nothing reloads"; docs/serve.md, "Reloading"):

  tls      certbot renews the certificate in place (live/ symlinks into
           archive/): new handshakes get the new certificate, a connection
           opened before keeps its own and is answered; an unreadable, a
           mismatched and an expired pair are refused and the pair in use
           stays; /status shows the last reload's time and result.
  token    the CRM refuses the token serve has: records wait; the token file
           gets the new one, SIGHUP, the waiting records go out with it and
           /healthz recovers; a token file serve may not read is refused.
  mapping  a recompiled .mapc is loaded, drift-checked and swapped in: a
           field value changes for records sent after it, old and new
           fingerprints are logged; a truncated .mapc, a mapping for
           another CRM and one that drifted from the CRM are refused, and
           the mapping in use stays.

Usage: test_reload.py CRMMAP REPO_ROOT WORKDIR CASE"""
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

from servelib import SECRET, Serve, example_contact, serve_metadata, write_private
import runlib

crmmap, root, work, case = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = runlib.Checks()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
runlib.reset()


def reload_status(s):
    return s.status()["reload"]


if case == "tls":
    def make_pair(name, expired=False):
        """(certificate, key) for 127.0.0.1 in archive/; expired: valid in 2020 only."""
        cert, key = os.path.join(work, "archive", name + "-cert.pem"), os.path.join(work, "archive", name + "-key.pem")
        if expired:
            ca = os.path.join(work, "ca-" + name)
            os.makedirs(ca)
            with open(os.path.join(ca, "ca.cnf"), "w") as f:
                f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n"
                        "default_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n")
            open(os.path.join(ca, "index.txt"), "w").close()
            with open(os.path.join(ca, "serial"), "w") as f:
                f.write("01\n")
            subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                            os.path.join(ca, "r.csr"), "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
            subprocess.run(["openssl", "ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", key, "-in",
                            "r.csr", "-out", cert, "-notext", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"],
                           check=True, capture_output=True, cwd=ca)
        else:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, capture_output=True)
        os.chmod(key, 0o600)
        with open(cert) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        fp = hashlib.sha256(der).hexdigest().upper()
        return cert, key, ":".join(fp[i:i + 2] for i in range(0, len(fp), 2))

    def point(cert, key):
        """certbot's renewal: live/ links replaced to point at the new files."""
        for link, target in (("fullchain.pem", cert), ("privkey.pem", key)):
            tmp = os.path.join(work, "live", link + ".new")
            os.symlink(os.path.relpath(target, os.path.join(work, "live")), tmp)
            os.replace(tmp, os.path.join(work, "live", link))

    os.makedirs(os.path.join(work, "archive"))
    os.makedirs(os.path.join(work, "live"))
    cert_a, key_a, fp_a = make_pair("a")
    cert_b, key_b, fp_b = make_pair("b")
    cert_x, key_x, fp_x = make_pair("expired", expired=True)
    point(cert_a, key_a)
    s = Serve(crmmap, mapping, os.path.join(work, "state"), "--tls-cert", os.path.join(work, "live", "fullchain.pem"),
              "--tls-key", os.path.join(work, "live", "privkey.pem"))
    host, port = s.url.split("//")[1].rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE     # the certificates are told apart by fingerprint
    s.ssl_context = ctx

    def fingerprint(tls):
        fp = hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest().upper()
        return ":".join(fp[i:i + 2] for i in range(0, len(fp), 2))

    def new_fingerprint():
        """The certificate a new connection gets."""
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with ctx.wrap_socket(raw) as tls:
                return fingerprint(tls)

    c.check(new_fingerprint() == fp_a, "at start: certificate A")
    c.check(reload_status(s) == {"count": 0, "failed": 0, "last_at": None, "last_result": None, "last_error": None},
            "/status: no reload yet: %s" % reload_status(s))
    def answer(tls):
        """The status of the answer on tls."""
        got = b""
        while b"\r\n" not in got:
            chunk = tls.recv(4096)
            if not chunk:
                return 0
            got += chunk
        return int(got.split()[1])

    # A request under way on a connection made with A: its headers and half
    # its body before the reload, the rest after (serve closes a connection
    # after each answer, so a connection lives as long as its request).
    body = json.dumps(runlib.lead(1)).encode()
    old = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10))
    old.sendall(b"POST /records HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % (SECRET.encode(), len(body)) + body[:20])
    c.check(fingerprint(old) == fp_a, "a request under way on A")

    point(cert_b, key_b)
    said = s.hup()
    c.check("TLS certificate replaced for new connections: SHA256 %s" % fp_b in said and fp_a in said,
            "SIGHUP: the new certificate, and the old one, logged: %s" % said)
    c.check(new_fingerprint() == fp_b, "after the reload a new connection gets B")
    old.sendall(body[20:])
    code = answer(old)
    c.check(code == 202 and fingerprint(old) == fp_a, "the request under way on A is answered: %s" % code)
    old.close()
    st = reload_status(s)
    c.check(st["count"] == 1 and st["last_result"] == "ok" and st["last_at"] and st["last_error"] is None,
            "/status: the reload, ok: %s" % st)

    bad = [("a key of another certificate", cert_b, key_a, "is not the key of the certificate"),
           ("a missing key", cert_b, os.path.join(work, "archive", "gone.pem"), "No such file or directory"),
           ("an expired certificate", cert_x, key_x, "expired")]
    for what, cert, key, error in bad:
        point(cert, key)
        said = s.hup()
        c.check(error in said and "help: connections go on with the certificate in use" in said
                and "TLS certificate replaced" not in said, "%s refused: %s" % (what, said))
        c.check(new_fingerprint() == fp_b, "%s: new connections still get B" % what)
        st = reload_status(s)
        c.check(st["last_result"] == "failed" and error in (st["last_error"] or ""), "/status: %s" % st)
    st = reload_status(s)
    c.check(st["count"] == 4 and st["failed"] == 3, "/status counts 4 reloads, 3 refused: %s" % st)
    point(cert_b, key_b)
    said = s.hup()
    c.check("TLS certificate unchanged" in said and reload_status(s)["last_result"] == "ok",
            "the same pair again: unchanged, ok: %s" % said)
    c.check(s.stop() == 0, "exit 0: %s" % s.stderr[-400:])

elif case == "token":
    token_file = os.path.join(work, "token")
    write_private(token_file, "T\n")
    s = Serve(crmmap, mapping, os.path.join(work, "state"), "--token-file", token_file, "--batch-window-ms", "20")
    c.check(s.post("/records", runlib.lead(1))[0] == 202 and s.wait_sent()["queue"]["pending"] == 0,
            "sent with the token T")
    # The CRM's token is rotated: T is refused, records wait.
    runlib.admin("/__admin/rotate_token", {"token": "T2-rotated"})
    codes = [s.post("/records", runlib.lead(i))[0] for i in range(2, 7)]
    c.check(codes == [202] * 5, "5 accepted while the CRM refuses the token: %s" % codes)
    deadline = time.time() + 30
    while s.status()["components"]["crm"]["state"] != "failing" and time.time() < deadline:
        time.sleep(0.1)
    c.check(s.status()["components"]["crm"]["state"] == "failing", "the CRM component fails on the refused token")
    c.check(s.request("GET", "/healthz")[0] == 503, "/healthz 503 while the CRM refuses the credentials")
    # A token file serve may not read is refused; the token in use stays.
    write_private(token_file, "T2-rotated\n")
    os.chmod(token_file, 0o644)
    said = s.hup()
    c.check("CRM token:" in said and "chmod 600" in said and "help: the token in use stays" in said,
            "a 0644 token file refused: %s" % said)
    c.check(s.status()["queue"]["pending"] == 5, "nothing sent with a refused file")
    # The new token: the waiting records go out with it, without waiting out the backoff.
    os.chmod(token_file, 0o600)
    said = s.hup()
    c.check("CRM token replaced" in said, "SIGHUP: the new token: %s" % said)
    st = s.wait_sent(timeout=30)
    c.check(st["queue"]["pending"] == 0, "the waiting records are sent with the new token: %s" % st["queue"])
    emails = set(str(r.get("Email")).lower() for r in runlib.records("salesforce", "Contact").values())
    missing = [i for i in range(1, 7) if "lead%07d@example.com" % i not in emails]
    c.check(not missing, "every record in the CRM: missing %s" % missing)
    c.check(s.request("GET", "/healthz")[0] == 200, "/healthz recovers")
    c.check(s.status()["components"]["crm"]["state"] == "ok", "the CRM component is ok")
    said = s.hup()
    c.check("CRM token unchanged" in said, "the same file again: unchanged: %s" % said)
    c.check(s.stop() == 0, "exit 0: %s" % s.stderr[-400:])
    runlib.admin("/__admin/rotate_token", {"token": "T"})

elif case == "mapping":
    # The CRM's field definitions are those the example was checked against: no drift.
    contact = example_contact(root)
    serve_metadata(root, contact)
    # The mappings are compiled in a copy of the examples (their schema paths are relative).
    shutil.copytree(os.path.join(root, "examples"), os.path.join(work, "examples"))
    source = os.path.join(work, "examples", "salesforce", "fair-leads.map")
    with open(source, encoding="utf-8") as f:
        text_a = f.read()
    mapc = os.path.join(work, "fair-leads.mapc")

    def deploy(text, target=None):
        """Compiles text (or the .map target) and replaces mapc at once, as a deployment would."""
        if text is not None:
            with open(source, "w", encoding="utf-8") as f:
                f.write(text)
        tmp = mapc + ".new"
        p = subprocess.run([crmmap, "compile", "-o", tmp, target or source], capture_output=True, text=True)
        c.check(p.returncode == 0, "compiled: %s" % p.stderr[-300:])
        os.replace(tmp, mapc)

    def title(i):
        for r in runlib.records("salesforce", "Contact").values():
            if str(r.get("Email")).lower() == "lead%07d@example.com" % i:
                return r.get("Title")
        return "(not in the CRM)"

    def send(s, i):
        st, _ = s.post("/records", runlib.lead(i))
        return st == 202 and s.wait_sent()["queue"]["pending"] == 0

    deploy(text_a)
    s = Serve(crmmap, mapc, os.path.join(work, "state"), "--batch-window-ms", "20", force=False)
    fp_a = s.status()["mapping"]
    c.check(send(s, 1) and title(1) is None, "sent with mapping A: no Title: %r" % title(1))
    # B sets a Title: records sent after the reload carry it.
    text_b = text_a.replace("Title             = truncate(position, 128)", 'Title             = "Reloaded"')
    c.check(text_b != text_a, "mapping B differs from A")
    deploy(text_b)
    said = s.hup()
    fp_b = s.status()["mapping"]
    c.check(fp_b != fp_a and "mapping %s reloaded" % mapc in said and "mapping=%s was=%s" % (fp_b, fp_a) in said,
            "SIGHUP: mapping B, old and new fingerprints logged: %s" % said)
    c.check(send(s, 2) and title(2) == "Reloaded", "sent with mapping B: Title %r" % title(2))
    st = reload_status(s)
    c.check(st["last_result"] == "ok" and st["count"] == 1, "/status: reload ok: %s" % st)
    c.check(s.post("/records", {"firstName": "No e-mail"})[0] == 422, "the intake checks with B too")
    # Refused: a truncated .mapc, a mapping for another CRM, one that drifted.
    with open(mapc, "rb") as f:
        data = f.read()
    with open(mapc + ".new", "wb") as f:
        f.write(data[: len(data) // 2])
    os.replace(mapc + ".new", mapc)
    said = s.hup()
    c.check("mapping %s refused: it does not load" % mapc in said
            and "help: the mapping in use stays" in said, "a truncated .mapc refused: %s" % said)
    c.check(send(s, 3) and title(3) == "Reloaded" and s.status()["mapping"] == fp_b, "B stays: %r" % title(3))
    deploy(None, target=os.path.join(work, "examples", "hubspot", "fair-leads.map"))
    said = s.hup()
    c.check("refused: it targets another CRM" in said, "a HubSpot mapping refused: %s" % said)
    deploy(text_b.replace('"Reloaded"', '"Reloaded twice"'))
    serve_metadata(root, dict(contact, fields=[f for f in contact["fields"] if f["name"] != "MailingCity"]))
    said = s.hup()
    c.check("error[D0401]: Contact.MailingCity" in said and "refused: the drift check failed" in said,
            "a mapping that drifted from the CRM refused: %s" % said)
    serve_metadata(root, contact)   # B writes MailingCity too
    c.check(send(s, 4) and title(4) == "Reloaded" and s.status()["mapping"] == fp_b, "B stays: %r" % title(4))
    st = reload_status(s)
    c.check(st["count"] == 4 and st["failed"] == 3 and st["last_result"] == "failed"
            and "drift" in (st["last_error"] or ""), "/status: %s" % st)
    c.check(s.stop() == 0, "exit 0: %s" % s.stderr[-400:])
    c.check("sender: records from here on are sent with the reloaded mapping mapping=%s was=%s" % (fp_b, fp_a)
            in s.stderr, "the sender's move is logged")

else:
    raise SystemExit("unknown case " + case)
c.exit()
