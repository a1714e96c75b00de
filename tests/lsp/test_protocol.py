#!/usr/bin/env python3
"""Protocol tests of `crmmap lsp`: framing, errors, lifecycle, cancellation.
Usage: test_protocol.py CRMMAP SOURCE_DIR CASE."""
import json
import sys

from lsplib import Client, check

crmmap, src, case = sys.argv[1:4]


def error_code(msg):
    return msg.get("error", {}).get("code")


def case_framing():
    c = Client(crmmap)
    init = c.request_msg("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    data = Client.frame(init)
    # One byte per write: the reader must wait for the whole message.
    for i in range(len(data)):
        c.send_raw(data[i:i + 1])
    check("result" in c.answer(init["id"]), "initialize answered after byte-by-byte writes")
    # Two messages in one write, the header's case and an extra header varied.
    a, b = c.request_msg("nope/a"), c.request_msg("nope/b")
    body = json.dumps(b).encode()
    c.send_raw(Client.frame(a) + b"content-length: %d\r\nContent-Type: application/vscode-jsonrpc; "
               b"charset=utf-8\r\n\r\n" % len(body) + body)
    check(error_code(c.answer(a["id"])) == -32601, "first of two in one write")
    check(error_code(c.answer(b["id"])) == -32601, "second of two in one write")
    check(c.close() == 1, "input ended without exit: status 1")


def case_bad_input():
    c = Client(crmmap)
    c.initialize(src)
    # A header block without Content-Length is dropped, with an error answer.
    c.send_raw(b"Content-Type: text/plain\r\n\r\n")
    m = c.recv()
    check(m["id"] is None and error_code(m) == -32700, "bad header: %r" % m)
    # A Content-Length that is no number.
    c.send_raw(b"Content-Length: 12x\r\n\r\n")
    m = c.recv()
    check(m["id"] is None and error_code(m) == -32700, "bad length: %r" % m)
    # Invalid JSON: a parse error with id null.
    c.send_raw(b"Content-Length: 9\r\n\r\n{\"id\": 1,")
    m = c.recv()
    check(m["id"] is None and error_code(m) == -32700, "invalid JSON: %r" % m)
    # JSON that is no request.
    c.send_raw(Client.frame([1, 2, 3]))
    m = c.recv()
    check(error_code(m) == -32600, "an array: %r" % m)
    c.send({"jsonrpc": "2.0", "id": {"x": 1}, "method": "initialize"})
    m = c.recv()
    check(error_code(m) == -32600, "an object as id: %r" % m)
    # An oversized body is refused without being kept, and what follows is read.
    big = b"Content-Length: %d\r\n\r\n" % (16 * 1024 * 1024 + 1) + b" " * (16 * 1024 * 1024 + 1)
    c.send_raw(big)
    m = c.recv()
    check(m["id"] is None and error_code(m) == -32600 and "over" in m["error"]["message"], "oversized: %r" % m)
    # Unknown method: MethodNotFound; unknown notification: nothing.
    c.notify("nope/notification")
    r = c.request("nope/request")
    check(error_code(r) == -32601, "unknown method: %r" % r)
    check(c.notes == [], "an unknown notification is not answered: %r" % c.notes)
    # A document event for a file never opened, and odd params, are ignored.
    c.notify("textDocument/didChange", {"textDocument": {"uri": "file:///nowhere.map"}, "contentChanges": [{"text": "x"}]})
    c.notify("textDocument/didOpen", {"textDocument": 5})
    c.notify("textDocument/didClose", [])
    r = c.request("shutdown")
    check("result" in r and r["result"] is None, "shutdown: %r" % r)
    c.notify("exit")
    check(c.close() == 0, "exit after shutdown: status 0")


def case_lifecycle():
    c = Client(crmmap)
    r = c.request("textDocument/hover", {})
    check(error_code(r) == -32002, "a request before initialize: %r" % r)
    c.initialize(src)
    r = c.request("initialize", {"capabilities": {}})
    check(error_code(r) == -32600, "initialize twice: %r" % r)
    check("result" in c.request("shutdown"), "shutdown")
    r = c.request("shutdown")
    check(error_code(r) == -32600, "a request after shutdown: %r" % r)
    c.notify("exit")
    check(c.close() == 0, "exit after shutdown: 0")
    # exit without shutdown: status 1.
    c = Client(crmmap)
    c.initialize(src)
    c.notify("exit")
    check(c.close() == 1, "exit without shutdown: 1")


def case_cancel():
    c = Client(crmmap)
    c.initialize(src)
    a = c.request_msg("shutdown")
    # The request and its cancel arrive together: the request is not run.
    c.send_raw(Client.frame(a) + Client.frame({"jsonrpc": "2.0", "method": "$/cancelRequest",
                                               "params": {"id": a["id"]}}))
    r = c.answer(a["id"])
    check(error_code(r) == -32800, "cancelled: %r" % r)
    # A cancel of a request long answered is accepted and changes nothing.
    c.notify("$/cancelRequest", {"id": a["id"]})
    c.notify("$/cancelRequest", {"id": "unknown"})
    r = c.request("shutdown")
    check("result" in r, "the server was not shut down by the cancelled request: %r" % r)
    c.notify("exit")
    check(c.close() == 0, "exit: 0")


globals()["case_" + case]()
print("ok", case)
