#!/usr/bin/env python3
"""with_server: start crmserver on a free loopback port, run a command with
CRMSERVER_URL=http://127.0.0.1:PORT in its environment, stop the server, and
exit with the command's status. Tests use it so no port is ever hard-coded.

Usage: with_server.py [--token T] [--corpus DIR] -- COMMAND [ARGS...]
"""
import os
import subprocess
import sys


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("usage: with_server.py [crmserver options] -- COMMAND [ARGS...]")
    split = argv.index("--")
    server_args, command = argv[:split], argv[split + 1:]
    here = os.path.dirname(os.path.abspath(__file__))
    server = subprocess.Popen([sys.executable, os.path.join(here, "crmserver.py")] + server_args,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            sys.exit("with_server: crmserver did not start")
        env = dict(os.environ, CRMSERVER_URL="http://127.0.0.1:%d" % int(line.split()[1]))
        status = subprocess.call(command, env=env)
    finally:
        server.terminate()
        server.wait(timeout=10)
    sys.exit(status)


if __name__ == "__main__":
    main()
