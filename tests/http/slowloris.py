#!/usr/bin/env python3
"""slowloris.py PORT N SECONDS: holds N connections to 127.0.0.1:PORT, each sending a request
line, then one header line every 3 s and never the blank line that ends the header. A connection
the server closes is opened again at once. Stops after SECONDS (bounded) and prints how many
connections it opened in all. Tests only: it talks to loopback and nothing else."""
import selectors, socket, sys, time

port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sel = selectors.DefaultSelector()
conns = {}   # socket -> [next send time, request line sent]
opened = 0

def open_one():
    global opened
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return False
    opened += 1
    sel.register(s, selectors.EVENT_READ)
    conns[s] = [time.monotonic() + 0.05, False]
    return True

def drop(s):
    sel.unregister(s)
    del conns[s]
    s.close()

end = time.monotonic() + secs
while time.monotonic() < end:
    while len(conns) < n and open_one():
        pass
    now = time.monotonic()
    for s, st in list(conns.items()):
        if st[0] > now:
            continue
        try:
            s.send(b"X-a: b\r\n" if st[1] else b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            st[1] = True
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            drop(s)
            continue
        st[0] = now + 3
    for key, _ in sel.select(timeout=0.1):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            data = b""
        if not data:
            drop(s)
print(opened, flush=True)
