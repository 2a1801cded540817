#!/usr/bin/env python3
"""Loopback traffic of every kind `tcpfsm check` reports, in about 25 s, for
tests/data/make-check-report-log: requests at a steady rate, a burst of
concurrent ones, refused connects, resets, a server slow to close (CLOSE_WAIT)
and an idle stretch. Every loop is bounded in count and time."""
import socket
import struct
import sys
import threading
import time

PORT, CLOSED_PORT = int(sys.argv[1]), int(sys.argv[2])
HOLD_SECONDS = 4.0


def serve(conn):
    with conn:
        conn.settimeout(10)
        data = b""
        try:
            while b"\n" not in data:
                chunk = conn.recv(1024)
                if not chunk:
                    return
                data += chunk
            if data.startswith(b"HOLD"):
                # The client's FIN, then the socket kept open: CLOSE_WAIT.
                conn.recv(1024)
                time.sleep(HOLD_SECONDS)
            else:
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except ConnectionResetError:
            pass  # reset() below


def server(listener, stop):
    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def request():
    with socket.create_connection(("127.0.0.1", PORT), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.0\n")
        while s.recv(1024):
            pass


def hold():
    with socket.create_connection(("127.0.0.1", PORT), timeout=10) as s:
        s.sendall(b"HOLD\n")
    # closed: FIN_WAIT2 here while the server sits in CLOSE_WAIT


def reset():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    time.sleep(0.05)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # RST: both sides ESTABLISHED -> CLOSE


def refused():
    try:
        socket.create_connection(("127.0.0.1", CLOSED_PORT), timeout=2).close()
    except ConnectionRefusedError:
        pass


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", PORT))
    listener.listen(128)
    stop = threading.Event()
    threading.Thread(target=server, args=(listener, stop), daemon=True).start()

    for _ in range(20):  # steady: about 3 requests a second
        request()
        time.sleep(0.3)
    burst = [threading.Thread(target=request) for _ in range(30)]
    for t in burst:
        t.start()
    for t in burst:
        t.join(10)
    time.sleep(1.5)
    for _ in range(6):
        refused()
        time.sleep(0.4)
    for _ in range(6):
        reset()
        time.sleep(0.4)
    hold()
    time.sleep(HOLD_SECONDS + 1)  # idle but for the socket in CLOSE_WAIT
    for _ in range(12):
        request()
        time.sleep(0.5)
    stop.set()
    time.sleep(0.3)
    listener.close()


main()
