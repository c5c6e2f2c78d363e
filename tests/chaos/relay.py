#!/usr/bin/env python3
"""relay - the chaos soak's HAProxy Runtime API relay (tests/chaos/driver.sh).

usage: relay.py LISTEN_SOCKET ADMIN_SOCKET FREEZE_FILE HELD_LOG

Listens on LISTEN_SOCKET (the workers' CUTOVER_HAPROXY_SOCKET) and passes
each connection's command to ADMIN_SOCKET, the answer back. While
FREEZE_FILE exists, a command that names the environment written in it
(its backend, "ENV/green1") gets no answer at all: the connection stays
open and silent until the file is gone, then is closed. Each command held
is a line of HELD_LOG ("time environment command"). Other environments'
commands pass as usual.
"""
import os
import socket
import sys
import threading
import time


def frozen_env(freeze_file):
    """frozen_env - the environment frozen now, or None"""
    try:
        with open(freeze_file) as f:
            return f.read().strip() or None
    except OSError:
        return None


def read_command(conn):
    """read_command - the first line the client sends (one command a connection)"""
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def forward(admin, command):
    """forward - one command to the admin socket; its whole answer"""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(admin)
        s.sendall(command)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return answer
            answer += chunk


def serve(conn, admin, freeze_file, held_log):
    """serve - one client connection: hold it or pass it through"""
    with conn:
        command = read_command(conn)
        env = frozen_env(freeze_file)
        if env and (env + "/").encode() in command:
            with open(held_log, "a") as log:
                log.write("%.3f\t%s\t%s\n" % (time.time(), env, command.decode(errors="replace").strip()))
            while os.path.exists(freeze_file):
                time.sleep(0.1)
            return
        try:
            conn.sendall(forward(admin, command))
        except OSError:
            pass


def main():
    listen, admin, freeze_file, held_log = sys.argv[1:5]
    if os.path.exists(listen):
        os.unlink(listen)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen)
    server.listen(128)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, admin, freeze_file, held_log), daemon=True).start()


if __name__ == "__main__":
    main()
