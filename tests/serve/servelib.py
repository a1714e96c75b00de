"""servelib: what the `crmmap serve` tests share — starting and stopping
serve on a free loopback port against tools/crmserver (CRMSERVER_URL, token
T), posting webhooks, reading /status, and the server's records."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run"))
import runlib  # noqa: E402  (crmserver admin calls, snapADDY leads, checks)

SECRET = "wh-secret-0123456789abcdef0123456789"
LISTEN = re.compile(r"listening on (https?://[0-9.:\[\]]+)")


class Serve:
    def __init__(self, crmmap, mapping, state, *flags, env_extra=None, preexec_fn=None, force=True):
        env = dict(os.environ, CRM_TOKEN="T", WEBHOOK_SECRET=SECRET)
        env.update(env_extra or {})
        cmd = [crmmap, "serve", mapping, "--listen", "127.0.0.1:0", "--plain-http", "--auth-env",
               "WEBHOOK_SECRET", "--url", runlib.URL, "--token-env", "CRM_TOKEN", "--state-dir", state] + list(flags)
        # --force: the server's field definitions are not the mappings'
        # schemas (as in runlib.run); test_ops.py checks the drift gate.
        if force:
            cmd.append("--force")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     preexec_fn=preexec_fn)
        self.stderr = ""
        self.url = None
        self.ssl_context = None     # for https: trusts the test's certificate
        line = self.read_until(LISTEN.search)
        if line:
            self.url = LISTEN.search(line).group(1)
        if self.url is None:
            self.proc.kill()
            raise SystemExit("serve did not start:\n" + self.stderr + self.proc.stderr.read())

    def read_until(self, found, timeout=20):
        """Reads serve's stderr (kept in self.stderr) until a line for which
        found(line) is true; returns that line, or None at the end or the timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                return None
            self.stderr += line
            if found(line):
                return line
        return None

    def hup(self):
        """SIGHUP, then serve's lines up to the end of the reload (its last
        line, written once /status has it)."""
        start = len(self.stderr)
        self.proc.send_signal(signal.SIGHUP)
        self.read_until(lambda line: "SIGHUP: reload finished" in line, timeout=60)
        return self.stderr[start:]

    def request(self, method, path, body=None, auth=SECRET, headers=None):
        """(status, parsed JSON answer or None)."""
        data = body if isinstance(body, (bytes, type(None))) else body.encode()
        h = {"Content-Type": "application/json"}
        if auth is not None:
            h["Authorization"] = auth
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30, context=self.ssl_context) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, None

    def post(self, path, obj, **kw):
        return self.request("POST", path, obj if isinstance(obj, (str, bytes)) else json.dumps(obj), **kw)

    def status(self):
        return self.request("GET", "/status")[1]

    def wait_sent(self, timeout=20):
        """Waits until the inbox is empty; returns the last /status."""
        deadline = time.time() + timeout
        st = self.status()
        while st["queue"]["pending"] > 0 and time.time() < deadline:
            time.sleep(0.1)
            st = self.status()
        return st

    def stop(self, sig=signal.SIGTERM, timeout=20):
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr += self.proc.stderr.read()
        return self.proc.returncode


def write_private(path, text):
    """Replaces path at once (as an operator's `install -m 600` would)."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def example_contact(root):
    """The Salesforce Contact definitions the example mapping was checked against."""
    return read_json(os.path.join(root, "tests", "corpus", "salesforce", "cumulusci_Contact_describe.json"))


def serve_metadata(root, contact):
    """Makes tools/crmserver serve contact and the example's Visit_Report__c
    as Salesforce's field definitions (the drift check reads them)."""
    runlib.admin("/__admin/metadata", {"system": "salesforce", "entity": "Contact", "document": contact})
    runlib.admin("/__admin/metadata", {"system": "salesforce", "entity": "Visit_Report__c", "document": read_json(
        os.path.join(root, "examples", "vendor", "salesforce", "Visit_Report__c_describe.json"))})
    runlib.content_version()    # the example attaches its files as ContentVersions


def setup():
    """(crmmap, root, work, checks) of a test run as `test_X.py CRMMAP REPO_ROOT WORKDIR`; work is emptied."""
    crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    return crmmap, root, work, runlib.Checks()


def compiled_example(crmmap, root, work):
    """The Salesforce example compiled into work, as a deployment runs it: a
    .map's compiler warnings are diagnostics printed before the log."""
    mapc = os.path.join(work, "fair-leads.mapc")
    subprocess.run([crmmap, "compile", "-o", mapc, os.path.join(root, "examples", "salesforce", "fair-leads.map")],
                   check=True, capture_output=True)
    return mapc


def logged(lines, pattern):
    """(the log lines holding pattern, how many occurrences they stand for:
    a line counts once, a "(repeated N times in S s)" line N)."""
    hits = [l for l in lines if pattern in l]
    n = 0
    for l in hits:
        m = re.search(r"\(repeated (\d+) times in \d+ s\)", l)
        n += int(m.group(1)) if m else 1
    return hits, n


DOWN = "http://127.0.0.1:9"     # a closed loopback port: the CRM is down


def exchange(sock, data):
    """Sends data on sock and reads the answer's head: (status, {lower-case
    header: value}); (0, {}) when the connection closes first."""
    sock.sendall(data)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = sock.recv(4096)
        if not chunk:
            return 0, {}
        got += chunk
    lines = got.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    heads = dict((k.strip().lower(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines[1:]))
    return int(lines[0].split()[1]), heads


def contacts():
    return {str(r.get("Email", "")).lower(): r for r in runlib.records("salesforce", "Contact").values()}


class Stream:
    """Posts the snapADDY leads first, first+1, ... to /records from `clients`
    threads until stop() or until serve stops answering. Interrupting tests
    wait for a number of acceptances, not for a time: on a fast machine a
    fixed-size stream would be over before the signal, on a slow one the
    signal would come before the first answer."""

    def __init__(self, serve, first, clients=4):
        import threading
        self.serve, self.first = serve, first
        self.auth = SECRET          # the Authorization value posted; may change under way
        self.codes = {}             # answers by status
        self.failures = []          # connections refused or broken (that client stops)
        self.accepted = set()
        self.last = first - 1       # the highest number handed to a client
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads = [threading.Thread(target=self._client) for _ in range(clients)]
        for t in self._threads:
            t.start()

    def _client(self):
        while not self._stopped.is_set():
            with self._lock:
                self.last += 1
                i = self.last
                auth = self.auth
            try:
                st, _ = self.serve.post("/records", runlib.lead(i), auth=auth)
            except OSError as e:
                with self._lock:
                    self.failures.append(repr(e))
                return
            with self._lock:
                self.codes[st] = self.codes.get(st, 0) + 1
                if st in (200, 202):
                    self.accepted.add(i)

    def wait_accepted(self, n, timeout=60):
        deadline = time.time() + timeout
        while len(self.accepted) < n and time.time() < deadline:
            time.sleep(0.01)
        return len(self.accepted) >= n

    def stop(self):
        """Stops posting (clients finish the request they are in); returns the highest number posted."""
        self._stopped.set()
        for t in self._threads:
            t.join()
        return self.last
