#!/usr/bin/env python3
"""`crmmap serve` operated as a service (docs/serve.md, "Operating serve"):
the state-directory lock, SIGHUP (secret rotation under load, the error file
reopened), file modes and a symlinked TLS key, the exit codes, --check-config
and the drift check at start.

Usage: test_ops.py CRMMAP REPO_ROOT WORKDIR CASE"""
import json
import os
import signal
import subprocess
import sys
import time

from servelib import SECRET, Serve, Stream, example_contact, serve_metadata, write_private
import runlib

crmmap, root, work, case = sys.argv[1:5]
c = runlib.Checks()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
NEW_SECRET = "new-secret-0123456789abcdef0123456789"
DOWN = "http://127.0.0.1:9"
subprocess.run(["rm", "-rf", work], check=True)
os.makedirs(work)
runlib.reset()


def serve_cmd(state, *flags, url=None):
    return [crmmap, "serve", mapping, "--listen", "127.0.0.1:0", "--plain-http", "--auth-env", "WEBHOOK_SECRET",
            "--url", url or runlib.URL, "--token-env", "CRM_TOKEN", "--state-dir", state] + list(flags)


def once(*cmd, timeout=60):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, CRM_TOKEN="T", WEBHOOK_SECRET=SECRET))
    return p.returncode, p.stderr


if case == "lock":
    # Two serves on one state directory: the second refuses, naming the first's pid.
    state = os.path.join(work, "state")
    a = Serve(crmmap, mapping, state)
    code, err = once(*serve_cmd(state, "--force"))
    c.check(code == 5 and "in use by process %d" % a.proc.pid in err and "one serve per state directory" in err
            and "listening" not in err, "second serve refused (5, pid %d): %s %s" % (a.proc.pid, code, err[-600:]))
    # A run on the journal serve uses is refused too.
    inp = os.path.join(work, "in.ndjson")
    with open(inp, "w") as f:
        f.write(json.dumps(runlib.lead(1)) + "\n")
    code, err = once(crmmap, "run", mapping, "--input", inp, "--url", runlib.URL, "--token-env", "CRM_TOKEN",
                     "--plain-http", "--force", "--journal", os.path.join(state, "journal.db"),
                     "--errors", os.path.join(work, "run-errors.ndjson"))
    c.check(code == 4 and "in use by process %d" % a.proc.pid in err and "its own --journal" in err,
            "run on serve's journal refused: %s %s" % (code, err[-400:]))
    c.check(runlib.records("salesforce", "Contact") == {}, "nothing sent by the refused run")
    # Every state file private; the lock file names the pid.
    for name in ("inbox.db", "journal.db", "errors.ndjson", "journal.db.lock"):
        mode = os.stat(os.path.join(state, name)).st_mode & 0o777
        c.check(mode == 0o600, "%s mode 0600: %o" % (name, mode))
    with open(os.path.join(state, "journal.db.lock")) as f:
        c.check(f.readline().strip() == str(a.proc.pid), "the lock file holds the pid")
    # kill -9 leaves the lock file: the next serve takes it over.
    a.proc.kill()
    a.proc.wait()
    c.check(os.path.exists(os.path.join(state, "journal.db.lock")), "kill -9 left the lock file")
    b = Serve(crmmap, mapping, state)
    c.check(b.post("/records", runlib.lead(2))[0] == 202, "the next serve took the stale lock over")
    c.check(b.stop() == 0, "exit 0")
    c.check(not os.path.exists(os.path.join(state, "journal.db.lock")), "a clean stop removes the lock file")

elif case == "reload":
    state = os.path.join(work, "state")
    secret_file = os.path.join(work, "secret")
    write_private(secret_file, SECRET + "\n")
    s = Serve(crmmap, mapping, state, "--auth-file", secret_file, "--batch-window-ms", "20")
    load = Stream(s, 1)
    c.check(load.wait_accepted(100), "100 accepted before the rotation")
    # Rotation: both secrets, clients move to the new one, then only the new one.
    write_private(secret_file, NEW_SECRET + "\n" + SECRET + "\n")
    said = s.hup()
    c.check("2 webhook secrets accepted" in said, "SIGHUP: two secrets: %s" % said)
    load.auth = NEW_SECRET
    c.check(load.wait_accepted(200), "200 accepted during the rotation")
    write_private(secret_file, NEW_SECRET + "\n")
    c.check("1 webhook secret accepted" in s.hup(), "SIGHUP: the new secret alone")
    c.check(load.wait_accepted(300), "300 accepted after the rotation")
    load.stop()
    c.check(load.codes.get(401, 0) == 0 and not load.failures,
            "no 401, no refused connection under the rotation: %s %s" % (load.codes, load.failures[:3]))
    c.check(s.post("/records", runlib.lead(99999), auth=SECRET)[0] == 401, "the old secret is refused once removed")
    c.check(s.post("/records", runlib.lead(99998), auth="Bearer " + NEW_SECRET)[0] == 202, "Bearer NEW accepted")
    # A bad file keeps the secrets in use.
    write_private(secret_file, "short\n")
    c.check("the secrets accepted before stay" in s.hup(), "a bad secret file is refused")
    c.check(s.post("/records", runlib.lead(99997), auth=NEW_SECRET)[0] == 202, "the secret in use stays")
    write_private(secret_file, NEW_SECRET + "\n")
    # logrotate: the error file is moved away, SIGHUP, new lines go to a new file.
    errors = os.path.join(state, "errors.ndjson")
    c.check(s.post("/records", {"firstName": "Before"}, auth=NEW_SECRET)[0] == 422, "a rejected record")
    os.rename(errors, errors + ".1")
    c.check("error file reopened" in s.hup(), "SIGHUP: error file reopened")
    c.check(s.post("/records", {"firstName": "After"}, auth=NEW_SECRET)[0] == 422, "a rejected record")
    with open(errors) as f:
        new = f.read()
    with open(errors + ".1") as f:
        old = f.read()
    c.check('"After"' in new and '"Before"' not in new and '"After"' not in old and '"Before"' in old,
            "the new line is in the new file: new=%r old=%r" % (new[-200:], old[-200:]))
    c.check(os.stat(errors).st_mode & 0o777 == 0o600, "the new error file is 0600")
    c.check(s.proc.poll() is None, "SIGHUP did not stop serve")
    c.check(s.stop() == 0, "exit 0 after SIGTERM: %s" % s.stderr[-500:])

elif case == "exit":
    state = os.path.join(work, "state")
    a = Serve(crmmap, mapping, os.path.join(work, "other"))
    port = a.url.rsplit(":", 1)[1]
    # Port in use: retry-able (5), and the TLS files are not blamed.
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    os.chmod(key, 0o600)
    cmd = serve_cmd(state, "--force", "--tls-cert", cert, "--tls-key", key)
    cmd[cmd.index("127.0.0.1:0")] = "127.0.0.1:" + port
    code, err = once(*cmd)
    c.check(code == 5 and "port is in use" in err and "certificate" not in err,
            "port in use: 5, not the certificate: %s %s" % (code, err[-400:]))
    a.stop()
    # Fix-the-config: 4.
    os.chmod(key, 0o644)
    code, err = once(*serve_cmd(state, "--force", "--tls-cert", cert, "--tls-key", key))
    c.check(code == 4 and "chmod 600" in err, "TLS key 0644: 4: %s %s" % (code, err[-300:]))
    os.chmod(key, 0o600)
    other = os.path.join(work, "other.pem")
    subprocess.run(["openssl", "genrsa", "-out", other, "2048"], check=True, capture_output=True)
    os.chmod(other, 0o600)
    code, err = once(*serve_cmd(state, "--force", "--tls-cert", cert, "--tls-key", other))
    c.check(code == 4 and "is not the key of the certificate" in err, "key of another certificate: 4: %s %s"
            % (code, err[-300:]))
    secret_file = os.path.join(work, "secret")
    write_private(secret_file, SECRET + "\n")
    os.chmod(secret_file, 0o644)
    code, err = once(*serve_cmd(state, "--force", "--auth-file", secret_file))
    c.check(code == 4 and "chmod 600" in err, "secret 0644: 4: %s %s" % (code, err[-300:]))
    # certbot's layout: live/privkey.pem -> ../archive/privkey1.pem.
    os.makedirs(os.path.join(work, "archive"))
    os.makedirs(os.path.join(work, "live"))
    os.rename(key, os.path.join(work, "archive", "privkey1.pem"))
    os.symlink("../archive/privkey1.pem", os.path.join(work, "live", "privkey.pem"))
    t = Serve(crmmap, mapping, state, "--tls-cert", cert, "--tls-key", os.path.join(work, "live", "privkey.pem"))
    c.check(t.url.startswith("https://"), "a symlinked TLS key is accepted")
    c.check(t.stop() == 0, "exit 0")
    # The mapping: a truncated .mapc is bad input (1).
    mapc = os.path.join(work, "fair-leads.mapc")
    subprocess.run([crmmap, "compile", mapping, "-o", mapc], check=True, capture_output=True)
    with open(mapc, "rb") as f:
        data = f.read()
    with open(mapc, "wb") as f:
        f.write(data[: len(data) // 2])
    cmd = serve_cmd(state, "--force")
    cmd[2] = mapc
    code, err = once(*cmd)
    c.check(code == 1, "truncated .mapc: 1: %s %s" % (code, err[-300:]))
    # Flags: 2.
    code, err = once(*serve_cmd(state, "--max-body", "0"))
    c.check(code == 2, "bad flag: 2: %s %s" % (code, err[-200:]))
    # The CRM unreachable at start (the drift check cannot ask it): 5. A
    # SIGHUP during the start (once the mapping's warning is out) waits for
    # the reload loop instead of killing serve.
    p = subprocess.Popen(serve_cmd(state, url=DOWN), stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, CRM_TOKEN="T", WEBHOOK_SECRET=SECRET))
    err = ""
    while "warning[W0201]" not in err:
        line = p.stderr.readline()
        if not line:
            break
        err += line
    p.send_signal(signal.SIGHUP)
    err += p.stderr.read()
    code = p.wait(timeout=120)
    c.check(code == 5 and "could not be read" in err and "listening" not in err,
            "CRM unreachable at start, SIGHUP during it: 5: %s %s" % (code, err[-300:]))

elif case == "config":
    contact = example_contact(root)
    serve_metadata(root, contact)
    state = os.path.join(work, "state")
    # --check-config: everything checked, nothing listened on or sent.
    code, err = once(*serve_cmd(state, "--check-config"))
    c.check(code == 0 and "configuration ok" in err and "no schema drift" in err and "listening" not in err,
            "--check-config: 0: %s %s" % (code, err[-400:]))
    # It takes the lock as a start would: with serve running, it says so.
    s = Serve(crmmap, mapping, state, force=False)
    code, err = once(*serve_cmd(state, "--check-config"))
    c.check(code == 5 and "in use by process" in err, "--check-config on a running state: %s %s" % (code, err[-300:]))
    c.check(s.stop() == 0, "exit 0")
    code, err = once(*serve_cmd(state, "--check-config", "--auth-env", "NOPE"))
    c.check(code == 4 and "NOPE" in err, "--check-config, no secret: 4: %s" % err[-200:])
    code, err = once(*serve_cmd(state, "--check-config", "--tls-cert", "/nonexistent.pem", "--tls-key", "/nope"))
    c.check(code == 4 and "/nonexistent.pem" in err, "--check-config, no TLS file: 4: %s" % err[-200:])
    # Drift: a field the mapping writes is gone. Start and --check-config refuse (4); --force starts.
    contact["fields"] = [f for f in contact["fields"] if f["name"] != "MailingCity"]
    serve_metadata(root, contact)
    code, err = once(*serve_cmd(state, "--check-config"))
    c.check(code == 4 and "error[D0401]: Contact.MailingCity" in err and "--force serves without this check" in err,
            "--check-config finds the drift: %s %s" % (code, err[-400:]))
    code, err = once(*serve_cmd(state))
    c.check(code == 4 and "error[D0401]" in err and "listening" not in err, "serve refuses to start on drift: %s %s"
            % (code, err[-300:]))
    s = Serve(crmmap, mapping, state)
    c.check(s.stop() == 0, "--force: serve starts on drift")
    c.check(runlib.records("salesforce", "Contact") == {}, "nothing sent")

elif case == "stop":
    # Every CRM request answered after 40 s: SIGTERM with a 1 s drain ends
    # the requests in flight after the in-flight deadline (10 s), exit 0.
    state = os.path.join(work, "state")
    runlib.admin("/__admin/faults", {"seed": 1, "faults": [{"kind": "timeout", "delay": 40, "count": 100000,
                                                             "probability": 1.0}]})
    s = Serve(crmmap, mapping, state, "--batch-window-ms", "20", "--drain-ms", "1000")
    codes = [s.post("/records", runlib.lead(i))[0] for i in range(1, 41)]
    c.check(codes == [202] * 40, "40 accepted: %s" % codes)
    deadline = time.time() + 20
    while runlib.admin("/__admin/state")["requests"] == 0 and time.time() < deadline:
        time.sleep(0.05)
    c.check(runlib.admin("/__admin/state")["requests"] > 0, "a CRM request in flight")
    t0 = time.time()
    code = s.stop(timeout=60)
    took = time.time() - t0
    print("stopped in %.1f s" % took)
    c.check(code == 0, "exit 0: %s %s" % (code, s.stderr[-600:]))
    # The bound: the 1 s drain, 10 s for requests in flight, a second for
    # libcurl to see the cancel flag, the commits; not the CRM's 40 s.
    c.check(took < 20, "stopped in %.1f s, within the bound" % took)
    c.check("CRM requests still unanswered after 10 s: cancelled" in s.stderr, "the cancel is logged")
    runlib.admin("/__admin/faults", {"seed": 1, "faults": []})
    s = Serve(crmmap, mapping, state)
    st = s.wait_sent(timeout=30)
    c.check(st["queue"]["pending"] == 0, "the next start sent the rest: %s" % st["queue"])
    emails = {}
    for r in runlib.records("salesforce", "Contact").values():
        e = str(r.get("Email")).lower()
        emails[e] = emails.get(e, 0) + 1
    wrong = [i for i in range(1, 41) if emails.get("lead%07d@example.com" % i) != 1]
    c.check(not wrong, "every accepted record once after the restart; missing or doubled: %s" % wrong[:5])
    c.check(s.stop() == 0, "exit 0")

else:
    raise SystemExit("unknown case " + case)
c.exit()
