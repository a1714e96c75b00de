"""A small LSP client for the tests of `crmmap lsp`: frames messages, reads
the server's answers with a safety timeout (a hang fails the test instead of
blocking ctest), and keeps the notifications it passes on the way."""
import json
import os
import select
import subprocess

WAIT = 30       # seconds before a missing answer counts as a hang


class Client:
    def __init__(self, crmmap, cwd=None, wrap=()):
        self.proc = subprocess.Popen(list(wrap) + [crmmap, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        self.buf = b""
        self.next_id = 1
        self.notes = []

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    @staticmethod
    def frame(obj):
        body = json.dumps(obj).encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    def send(self, obj):
        self.send_raw(self.frame(obj))

    def notify(self, method, params=None):
        self.send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def request_msg(self, method, params=None):
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        self.next_id += 1
        return msg

    def request(self, method, params=None):
        msg = self.request_msg(method, params)
        self.send(msg)
        return self.answer(msg["id"])

    def _fill(self):
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], WAIT)
        if not ready:
            raise AssertionError("the server did not answer within %ds" % WAIT)
        chunk = os.read(fd, 65536)
        if not chunk:
            raise EOFError("the server closed its output")
        self.buf += chunk

    def recv(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        length = None
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        assert length is not None, head
        while len(rest) < length:
            self._fill()
            head, rest = self.buf.split(b"\r\n\r\n", 1)
        self.buf = rest[length:]
        return json.loads(rest[:length])

    def answer(self, id_):
        """The answer to request id_ (notifications on the way are kept)."""
        while True:
            msg = self.recv()
            if "method" in msg:
                self.notes.append(msg)
            elif msg.get("id") == id_:
                return msg
            else:
                raise AssertionError("unexpected answer %r while waiting for %r" % (msg, id_))

    def diagnostics(self, uri):
        """The next publishDiagnostics for uri."""
        while True:
            for i, n in enumerate(self.notes):
                if n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == uri:
                    del self.notes[i]
                    return n["params"]["diagnostics"]
            msg = self.recv()
            if "method" not in msg:
                raise AssertionError("unexpected answer %r while waiting for diagnostics" % msg)
            self.notes.append(msg)

    def initialize(self, root):
        r = self.request("initialize", {"processId": None, "rootUri": uri_of(root), "capabilities": {}})
        assert "result" in r, r
        self.notify("initialized")
        return r["result"]

    def open(self, path, text=None):
        if text is None:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        uri = uri_of(path)
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "crmmap",
                                                              "version": 1, "text": text}})
        return uri

    def close(self):
        self.proc.stdin.close()
        code = self.proc.wait(WAIT)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


def uri_of(path):
    return "file://" + os.path.abspath(path)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
