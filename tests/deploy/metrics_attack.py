#!/usr/bin/python3
"""Attacks tcpfsm's metrics port for a bounded time, all at once, from
loopback addresses (run it in the agent's network namespace):
  - a 1 GiB POST to /metrics, streamed (never held in memory), again and again;
  - 1,000 idle connections from 100 addresses (127.0.2.1-100, 10 each),
    reopened as soon as the server closes one;
  - 10 slow clients (127.0.3.1-10) dribbling a request's headers a byte a
    second, reconnecting when cut off;
  - 30 connections from one address (127.0.4.1), over its share (first,
    alone for a second, then held through the rest).
Prints one JSON object: what each attack saw.
Usage: metrics_attack.py PORT SECONDS"""
import json
import resource
import selectors
import socket
import sys
import threading
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
end = time.monotonic() + seconds
seen = {"post_rounds": 0, "post_status": [], "post_bytes_sent_max": 0, "idle_opened": 0, "idle_closed_by_server": 0,
        "slow_opened": 0, "slow_cut": 0, "slow_answered": 0, "crowd_closed_by_server": 0}
lock = threading.Lock()

# 1,000 sockets and more: above the default soft limit of 1,024.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def connect(source):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def post():
    """A 1 GiB body announced and sent as fast as the server takes it."""
    chunk = b"x" * 65536
    while time.monotonic() < end:
        sent = 0
        status = None
        try:
            s = connect("127.0.5.1")
            s.sendall(b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1073741824\r\n\r\n")
            s.settimeout(2)
            try:
                while sent < (1 << 30) and time.monotonic() < end:
                    sent += s.send(chunk)
            except OSError:
                pass  # the server answered and closed: the rest is refused
            try:
                s.settimeout(2)
                head = s.recv(64)
                status = int(head[9:12]) if head.startswith(b"HTTP/1.") else None
            except OSError:
                pass
            s.close()
        except OSError:
            pass
        with lock:
            seen["post_rounds"] += 1
            seen["post_bytes_sent_max"] = max(seen["post_bytes_sent_max"], sent)
            if status not in seen["post_status"]:
                seen["post_status"].append(status)
        time.sleep(0.5)


def idle():
    """1,000 connections that never send a byte, reopened when closed."""
    sel = selectors.DefaultSelector()
    sources = [f"127.0.2.{a}" for a in range(1, 101) for _ in range(10)]
    open_now = {}

    def open_one(i):
        try:
            s = connect(sources[i])
        except OSError:
            return
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        open_now[i] = s
        with lock:
            seen["idle_opened"] += 1

    for i in range(len(sources)):
        open_one(i)
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            s, i = key.fileobj, key.data
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                del open_now[i]
                with lock:
                    seen["idle_closed_by_server"] += 1
                open_one(i)
    for s in open_now.values():
        s.close()


def slow(n):
    """A request dribbled a byte a second: never idle, never whole in time."""
    request = b"GET /metrics HTTP/1.1\r\nHost: a\r\nUser-Agent: " + b"s" * 40 + b"\r\n\r\n"
    while time.monotonic() < end:
        try:
            s = connect(f"127.0.3.{n}")
        except OSError:
            time.sleep(0.5)
            continue
        with lock:
            seen["slow_opened"] += 1
        s.settimeout(1)
        cut = answered = False
        for b in request:
            if time.monotonic() >= end:
                break
            try:
                s.send(bytes([b]))
                if not s.recv(4096):
                    cut = True
                    break
                answered = True  # something came back: only after the whole request
                break
            except socket.timeout:
                continue  # nothing yet: the next byte
            except OSError:
                cut = True
                break
        s.close()
        with lock:
            seen["slow_cut"] += cut
            seen["slow_answered"] += answered


def crowd():
    """30 connections from one address, held open: over its share."""
    held = []
    for _ in range(30):
        try:
            held.append(connect("127.0.4.1"))
        except OSError:
            pass
    time.sleep(1)
    closed = 0
    for s in held:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    with lock:
        seen["crowd_closed_by_server"] = closed
    while time.monotonic() < end:
        time.sleep(0.2)
    for s in held:
        s.close()


# The crowd first, alone for its first second: once the idle flood runs,
# its connections are cut as the oldest before they fill their share.
threads = [threading.Thread(target=crowd)]
threads[0].start()
time.sleep(1.5)
threads += [threading.Thread(target=post), threading.Thread(target=idle)]
threads += [threading.Thread(target=slow, args=(n,)) for n in range(1, 11)]
for t in threads[1:]:
    t.start()
for t in threads:
    t.join()
print(json.dumps(seen))
