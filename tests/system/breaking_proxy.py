#!/usr/bin/env python3
"""A TCP proxy for the registry tests that breaks downloads off.

usage: breaking_proxy.py LISTEN_PORT TARGET_PORT CUT_AFTER_BYTES CUTS LOG

Forwards 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT. The first CUTS
responses longer than CUT_AFTER_BYTES are closed after that many bytes, as
a dropped connection would end them. Each request's first line and Range
header, and each cut, are appended to LOG.
"""
import socket
import sys
import threading

listen_port, target_port, cut_after, cuts, log_path = (
    int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
lock = threading.Lock()
cuts_left = [cuts]


def log(line):
    with lock, open(log_path, "a") as f:
        f.write(line + "\n")


def upstream_to_client(upstream, client):
    sent = 0
    cutting = False
    try:
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            if not cutting and sent + len(data) > cut_after:
                with lock:
                    cutting = cuts_left[0] > 0
                    if cutting:
                        cuts_left[0] -= 1
            if cutting and sent + len(data) > cut_after:
                client.sendall(data[:cut_after - sent])
                log("cut after %d bytes" % cut_after)
                break
            client.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in (client, upstream):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def client_to_upstream(client, upstream):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            for line in data.decode("latin-1").split("\r\n"):
                if line.startswith(("GET ", "HEAD ")) or line.lower().startswith("range:"):
                    log(line)
            upstream.sendall(data)
    except OSError:
        pass


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(16)
while True:
    client, _ = server.accept()
    upstream = socket.create_connection(("127.0.0.1", target_port))
    threading.Thread(target=client_to_upstream, args=(client, upstream), daemon=True).start()
    threading.Thread(target=upstream_to_client, args=(upstream, client), daemon=True).start()
