#!/usr/bin/env python3
"""The webhook's TLS (issue 20, finding 11): TLS 1.2 and 1.3 are accepted,
TLS 1.0 and 1.1 are refused in the handshake (the GnuTLS priority string
of docs/security.md). The client allows the old versions (SECLEVEL 0), so
a refusal can only come from serve.

Usage: test_tls.py CRMMAP REPO_ROOT WORKDIR"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import warnings

from servelib import Serve
import runlib

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = runlib.Checks()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
runlib.reset()
warnings.simplefilter("ignore", DeprecationWarning)     # the old versions, on purpose

cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
               check=True, capture_output=True)
os.chmod(key, 0o600)
s = Serve(crmmap, mapping, os.path.join(work, "state"), "--tls-cert", cert, "--tls-key", key)
host, port = s.url.split("//")[1].rsplit(":", 1)


def handshake(version):
    """The version negotiated, or the error when there was none."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.minimum_version = ctx.maximum_version = version
    try:
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                return tls.version()
    except (ssl.SSLError, OSError) as e:
        return "refused: %s" % e


for v, ok in ((ssl.TLSVersion.TLSv1, False), (ssl.TLSVersion.TLSv1_1, False),
              (ssl.TLSVersion.TLSv1_2, True), (ssl.TLSVersion.TLSv1_3, True)):
    got = handshake(v)
    print("%s: %s" % (v.name, got))
    if ok:
        c.check(got == v.name.replace("_", "."), "%s accepted: %s" % (v.name, got))
    else:
        c.check(got.startswith("refused"), "%s refused: %s" % (v.name, got))
c.check(s.stop() == 0, "exit 0")
c.exit()
