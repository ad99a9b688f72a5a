#!/usr/bin/env python3
"""Cold start to armed and steady RSS of an edgeguard executable (bench/cold-start/README.md).

Starts `EXE run --simulate` RUNS times, each on a fresh state directory, as systemd would: with
NOTIFY_SOCKET pointing at a datagram socket this script holds. "Armed" is READY=1, which the gateway
sends only once the persisted state is restored, every output driven to its plan, the inputs
settled (a fixed 100 ms) and the controller loop answering. RSS is read from /proc after 10 s.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

exe = os.path.abspath(sys.argv[1])
cfg = sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
results = []
for i in range(runs):
    d = tempfile.mkdtemp()
    c = json.load(open(cfg)); c["EdgeGuard"]["stateDirectory"] = d
    c["EdgeGuard"].setdefault("simulation", {})["controlSocket"] = os.path.join(d, "sim.sock")
    c.setdefault("Logging", {}).setdefault("LogLevel", {})["Default"] = "Warning"
    p = os.path.join(d, "cfg.json"); json.dump(c, open(p, "w"))
    sock_path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sock_path); s.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    t0 = time.monotonic()
    proc = subprocess.Popen([exe, "run", "--simulate", "--config", p], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
    ready = None
    while ready is None:
        msg = s.recv(4096).decode()
        if "READY=1" in msg: ready = time.monotonic() - t0
    time.sleep(10)
    rss = [l for l in open(f"/proc/{proc.pid}/status") if l.startswith("VmRSS")][0].split()[1]
    proc.terminate(); proc.wait(10)
    results.append((ready * 1000, int(rss) / 1024))
    print(f"run {i+1}: READY after {ready*1000:.0f} ms, RSS after 10 s {int(rss)/1024:.1f} MB", flush=True)
r = sorted(x[0] for x in results); m = sorted(x[1] for x in results)
print(f"ready p50 {r[len(r)//2]:.0f} ms (min {r[0]:.0f}, max {r[-1]:.0f}); RSS p50 {m[len(m)//2]:.1f} MB (max {m[-1]:.1f})")
