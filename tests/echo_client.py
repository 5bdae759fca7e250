"""Echo check: CONNS concurrent connections each send ROUNDS random payloads
(1 byte to 64 KiB) and must read back exactly what they sent."""
import os
import socket
import sys
import threading

port, conns, rounds = (int(a) for a in sys.argv[1:4])
errors = []


def client(i):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            for r in range(rounds):
                size = 1 + (i * 7919 + r * 104729) % 65536
                payload = os.urandom(size)
                s.sendall(payload)
                got = b""
                while len(got) < size:
                    chunk = s.recv(size - len(got))
                    if not chunk:
                        raise RuntimeError(f"conn {i}: closed after {len(got)} of {size}")
                    got += chunk
                if got != payload:
                    raise RuntimeError(f"conn {i} round {r}: echo differs")
    except Exception as e:  # reported below, the test fails
        errors.append(f"{type(e).__name__}: {e}")


threads = [threading.Thread(target=client, args=(i,)) for i in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for e in errors[:5]:
    print(e)
print(f"   echo: {conns} connections x {rounds} payloads, {len(errors)} errors")
sys.exit(1 if errors else 0)
