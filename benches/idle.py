#!/usr/bin/env python3
"""The idle daemon's footprint: `giaoban run` on config/example.toml (a copy,
in a temporary folder, on a migrated database), the time until it signals
READY=1 on NOTIFY_SOCKET, then VmRSS (its anonymous and file parts) and
Threads from /proc/PID/status after IDLE_SECONDS (default 70: a minute's tick
included, so the code a tick runs is counted) idle. Median of RUNS (default
3) runs.

    cargo build --release && benches/idle.py [target/release/giaoban]
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/giaoban")
RUNS = int(os.environ.get("RUNS", "3"))
IDLE = float(os.environ.get("IDLE_SECONDS", "70"))


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def one_run():
    with tempfile.TemporaryDirectory() as d:
        # The whole folder: the example names data files beside it.
        folder = os.path.join(d, "config")
        shutil.copytree(os.path.join(ROOT, "config"), folder,
                        ignore=shutil.ignore_patterns("*.db", "*.db-*"))
        config = os.path.join(folder, "example.toml")
        # Migrate first: READY is measured on a migrated database.
        subprocess.run([BINARY, "--config", config, "deliver"], check=True, capture_output=True, cwd=d)
        sock_path = os.path.join(d, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        sock.settimeout(10)
        env = dict(os.environ, NOTIFY_SOCKET=sock_path)
        start = time.monotonic()
        proc = subprocess.Popen([BINARY, "--config", config, "run"], env=env, cwd=d,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ready = None
            while ready is None:
                msg = sock.recv(4096).decode()
                if "READY=1" in msg:
                    ready = (time.monotonic() - start) * 1000
            time.sleep(IDLE)
            st = status(proc.pid)
            rss = int(st["VmRSS"].split()[0]) / 1024
            anon = int(st["RssAnon"].split()[0]) / 1024
            code = int(st["RssFile"].split()[0]) / 1024
            return ready, rss, int(st["Threads"]), anon, code
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            sock.close()


def main():
    runs = [one_run() for _ in range(RUNS)]
    ready = statistics.median(r[0] for r in runs)
    rss = statistics.median(r[1] for r in runs)
    threads = statistics.median(r[2] for r in runs)
    anon = statistics.median(r[3] for r in runs)
    code = statistics.median(r[4] for r in runs)
    print(f"idle daemon: READY after {ready:.1f} ms (target < 100 ms), "
          f"{rss:.1f} MB resident (target < 15 MB: {anon:.1f} MB anonymous, {code:.1f} MB of files, "
          f"the binary's code mostly), {threads:.0f} threads, median of {RUNS}")


if __name__ == "__main__":
    main()
