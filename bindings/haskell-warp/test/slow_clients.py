#!/usr/bin/env python3
"""Slow clients against urb-warp-hello, checked byte for byte.

    slow_clients.py PORT

1. trickling writers: 20 connections at once, each sends a POST /echo
   (headers and a 3,000-byte body) a few bytes at a time with pauses, twice on
   the same keep-alive connection; each must get its own body back;
2. slow readers: 5 connections ask for GET /big (1 MiB) and read it in small
   pieces with pauses, so the server's sends must wait for room; each must get
   all 1,048,576 bytes;
3. while all of that is in flight, a fast client's requests are answered at
   once: the slow connections hold no one else up.
Exits non-zero, saying why, on any difference."""
import os
import random
import socket
import sys
import threading
import time

PORT = int(sys.argv[1])
failures = []


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_response(f):
    """Status line, headers and body (Content-Length or chunked) from f."""
    status = f.readline()
    if not status:
        raise EOFError("connection closed before a response")
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, v = line.decode().split(":", 1)
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            size = int(f.readline().strip(), 16)
            if size == 0:
                f.readline()
                break
            body += f.read(size)
            f.readline()
    else:
        body = f.read(int(headers.get("content-length", "0")))
    return status, body


def trickling_writer(i):
    try:
        rng = random.Random(i)
        s = connect()
        f = s.makefile("rb")
        for turn in range(2):
            body = os.urandom(3000)
            req = (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
            pos = 0
            while pos < len(req):
                step = rng.randint(1, 400)
                s.sendall(req[pos:pos + step])
                pos += step
                time.sleep(rng.uniform(0.001, 0.01))
            status, got = read_response(f)
            if not status.startswith(b"HTTP/1.1 200") or got != body:
                failures.append("writer %d turn %d: %r, %d bytes back of %d" % (i, turn, status, len(got), len(body)))
        s.close()
    except Exception as e:  # noqa: BLE001 - every failure is reported
        failures.append("writer %d: %r" % (i, e))


def slow_reader(i):
    try:
        s = connect()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        deadline = time.time() + 60
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        head, body = data.split(b"\r\n\r\n", 1)
        while len(body) < 1 << 20 and time.time() < deadline:
            chunk = s.recv(8192)
            if not chunk:
                break
            body += chunk
            time.sleep(0.0005)
        if not head.startswith(b"HTTP/1.1 200") or body != b"x" * (1 << 20):
            failures.append("reader %d: %r, %d bytes" % (i, head[:20], len(body)))
        s.close()
    except Exception as e:  # noqa: BLE001
        failures.append("reader %d: %r" % (i, e))


threads = [threading.Thread(target=trickling_writer, args=(i,)) for i in range(20)]
threads += [threading.Thread(target=slow_reader, args=(i,)) for i in range(5)]
for t in threads:
    t.start()
time.sleep(0.05)
fast = connect()
ff = fast.makefile("rb")
worst = 0.0
for _ in range(50):
    t0 = time.time()
    fast.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    status, body = read_response(ff)
    worst = max(worst, time.time() - t0)
    if body != b"hello, world\n":
        failures.append("fast client: %r %r" % (status, body))
fast.close()
for t in threads:
    t.join()
if worst > 2.0:
    failures.append("a fast request waited %.2f s behind the slow clients" % worst)
if failures:
    print("slow clients: FAILED\n  " + "\n  ".join(failures[:10]))
    sys.exit(1)
print("   slow clients: 20 trickling writers x 2 requests, 5 slow readers of 1 MiB, "
      "fast requests meanwhile (slowest %.0f ms): all bytes right" % (worst * 1000))
