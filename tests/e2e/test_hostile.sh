#!/bin/bash
# Hostile clients on the control socket (issue 7, "Bounded everything"):
# 10,000 malformed requests over several connections, each answered with an
# error of a stable code; lines of 16 MiB and over, 8 clients of 6 MiB
# lines at once (2 held at a time); 300 idle connections and the
# client limit; 100 concurrent garbage senders; clients that hang up
# mid-reply; a client that never reads its replies. Afterwards the daemon
# answers `clm list` promptly, the app still runs with the same pid, and
# clmd's memory stayed bounded.
#
# Every check runs even when an earlier one failed; the test fails at the
# end with the list of what was wrong.
. "$(dirname "$0")/lib.sh"

PROBLEMS=()
problem() {	# problem WHAT: record a failure, go on
	echo "  PROBLEM: $*" >&2
	PROBLEMS+=("$*")
}

# RSS bound for clmd. A sanitizer build keeps freed memory in quarantine
# and has shadow memory: a smaller quarantine for this test's daemon, and
# a looser bound.
# The peak is higher: a request line may be 16 MiB (its buffer and its
# parse, about 40 MB for a moment).
RSS_MAX_KB=$((50 * 1024))
HWM_MAX_KB=$((100 * 1024))
if grep -q __asan_init "$CLM_BIN_DIR/clmd" 2>/dev/null; then
	export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=16"
	RSS_MAX_KB=$((200 * 1024))
	HWM_MAX_KB=$((300 * 1024))
	note "clmd is built with AddressSanitizer: RSS bound $((RSS_MAX_KB / 1024)) MB"
fi

H=$TEST_TMP/hostile.py
cat >"$H" <<'PY'
"""Hostile clients of clmd's control socket. hostile.py SOCK MODE [ARGS]."""
import json
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time

SOCK = sys.argv[1]
MODE = sys.argv[2]
ARGS = sys.argv[3:]
STABLE = {"EPROTO", "EBADREQ", "ETOOBIG", "EUNKNOWN", "ENOAPP", "EEXISTS",
          "EINVAL", "ESPAWN", "ETIMEOUT", "EPERM", "ESHUTDOWN", "EINTERNAL",
          "EBUSY"}
CLM = os.path.join(os.environ["CLM_BIN_DIR"], "clm")


def connect(timeout=10):
    """A connected socket. The connect itself blocks: with a timeout set,
    a full listen backlog would fail it at once (EAGAIN) instead."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCK)
    s.settimeout(timeout)
    return s


def read_lines(s, n, buf=b""):
    """n reply lines (bytes, without newline), and what is left."""
    lines = []
    while len(lines) < n:
        nl = buf.find(b"\n")
        if nl >= 0:
            lines.append(buf[:nl])
            buf = buf[nl + 1:]
            continue
        b = s.recv(1 << 16)
        if not b:
            raise EOFError("connection closed after %d of %d replies"
                           % (len(lines), n))
        buf += b
    return lines, buf


def check_reply(raw):
    """The reply as a dict, or raise ValueError saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError("reply is not valid UTF-8 (%s)" % e)
    try:
        r = json.loads(text)
    except ValueError:
        raise ValueError("reply is not JSON")
    if not isinstance(r, dict) or r.get("v") != 1 or "ok" not in r:
        raise ValueError("reply lacks v=1 or ok")
    if r["ok"] is False:
        e = r.get("error")
        if not isinstance(e, dict) or e.get("code") not in STABLE or \
                not isinstance(e.get("message"), str) or not e["message"]:
            raise ValueError("error reply without a stable code and a "
                             "message")
    return r


def clm_list_ms():
    """Run `clm list --json`: (milliseconds, exit status, stderr)."""
    t = time.monotonic()
    p = subprocess.run([CLM, "list", "--json"], capture_output=True,
                       timeout=30)
    ms = int((time.monotonic() - t) * 1000)
    return ms, p.returncode, p.stderr.decode(errors="replace").strip()


# --- 10,000 malformed requests ---------------------------------------

def malformed(rng, i):
    """(class, line, expected codes or None for any stable code/ok)."""
    k = i % 16
    n = rng.randrange(1, 10 ** 6)
    if k == 0:
        b = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        return "random-bytes", b.replace(b"\n", b" "), {"EBADREQ"}
    if k == 1:
        return "not-json", rng.choice([
            b"hello", b"{", b"}", b"{\"v\":1,", b"list", b"{'v':1}",
            b"{\"v\":1 \"cmd\":\"list\"}", b"\r", b"   ", b"",
            b"{\"v\":1,\"cmd\":\"list\"} trailing",
            b"{\"v\":1,\"cmd\":\"li\\u0000st\"}",
            b"{\"v\":1,\"cmd\":\"list\",\"t\":\"\\ud800\"}",
            b"{\"v\":1,\"cmd\":\"list\"\x00}",
            b"[" * 50000 + b"]" * 50000,
            b"{\"a\":" * 20000 + b"1" + b"}" * 20000]), {"EBADREQ"}
    if k == 2:
        return "array-or-scalar", rng.choice([
            b"[]", b"[1,2,3]", b"[{\"v\":1,\"cmd\":\"list\"}]", b"1",
            b"\"list\"", b"null", b"true", b"-0.5e10"]), {"EBADREQ"}
    if k == 3:
        return "wrong-type", rng.choice([
            b"{\"v\":\"1\",\"cmd\":\"list\"}", b"{\"v\":1,\"cmd\":42}",
            b"{\"v\":1,\"cmd\":[\"list\"]}", b"{\"v\":1,\"cmd\":null}",
            b"{\"v\":true,\"cmd\":\"list\"}",
            b"{\"v\":1,\"cmd\":\"stop\",\"target\":5}",
            b"{\"v\":1,\"cmd\":\"scale\",\"target\":\"h\",\"count\":\"2\"}",
            b"{\"v\":1,\"cmd\":\"scale\",\"target\":\"h\",\"count\":2,"
            b"\"relative\":\"yes\"}",
            b"{\"v\":1,\"cmd\":\"restart\",\"target\":\"h\","
            b"\"update_env\":1}",
            b"{\"v\":1,\"cmd\":\"restart\",\"target\":\"h\","
            b"\"env\":\"A=1\"}",
            b"{\"v\":1,\"cmd\":\"restart\",\"target\":\"h\","
            b"\"env\":[\"NOEQUALS\"]}",
            b"{\"v\":1,\"cmd\":\"start\",\"spec\":\"app.js\"}",
            b"{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"x\"}}",
            b"{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"x\","
            b"\"script\":7}}",
            b"{\"v\":1,\"cmd\":\"start\",\"apps\":{}}",
            b"{\"v\":1,\"cmd\":\"start\",\"apps\":[1]}"]), {"EBADREQ"}
    if k == 4:
        return "missing-field", rng.choice([
            b"{}", b"{\"v\":1}", b"{\"cmd\":\"list\"}",
            b"{\"v\":1,\"cmd\":\"stop\"}", b"{\"v\":1,\"cmd\":\"start\"}",
            b"{\"v\":1,\"cmd\":\"scale\"}"]), {"EBADREQ"}
    if k == 5:
        cmd = rng.choice(["frobnicate", "LIST", "list ", "rm -rf /",
                          "x" * 5000, "", "\\n", "st\\u00f6p", "ping2"])
        return "unknown-cmd", json.dumps({"v": 1, "cmd": cmd}).encode(), \
            {"EUNKNOWN"}
    if k == 6:
        return "absurd-number", rng.choice([
            b"{\"v\":1e999,\"cmd\":\"list\"}", b"{\"v\":-1,\"cmd\":\"list\"}",
            b"{\"v\":1.5,\"cmd\":\"list\"}",
            b"{\"v\":99999999999999999999,\"cmd\":\"list\"}",
            b"{\"v\":1,\"cmd\":\"scale\",\"target\":\"h\",\"count\":1e300}",
            b"{\"v\":1,\"cmd\":\"scale\",\"target\":\"h\","
            b"\"count\":-9223372036854775809}",
            b"{\"v\":1,\"cmd\":\"scale\",\"target\":\"h\",\"count\":0.5}",
            b"{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"x\","
            b"\"script\":\"/x\",\"instances\":1000000000}}",
            b"{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"x\","
            b"\"script\":\"/x\",\"kill_timeout_ms\":-1}}",
            b"{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"x\","
            b"\"script\":\"/x\",\"max_restarts\":1e12}}"]), {"EBADREQ"}
    if k == 7:
        return "other-version", json.dumps(
            {"v": rng.choice([0, 2, 3, 1000, 2 ** 31 - 1]),
             "cmd": "list"}).encode(), {"EPROTO"}
    if k == 8:
        # Well-formed, but no such app: harmless commands only.
        cmd = rng.choice(["stop", "restart", "delete", "describe",
                          "reload"])
        return "no-such-app", json.dumps(
            {"v": 1, "cmd": cmd, "target": "nosuch-%d" % n}).encode(), \
            {"ENOAPP"}
    if k == 9:
        name = rng.choice(["../etc", "a/b", ".hidden", "x" * 300, "sp ace",
                           "-dash", "all"])
        return "bad-name", json.dumps(
            {"v": 1, "cmd": "start",
             "spec": {"name": name, "script": "/nonexistent.js"}}).encode(), \
            {"EINVAL"}
    if k in (10, 11):
        # Invalid UTF-8 inside strings: an error, and the reply itself
        # valid UTF-8.
        bad = rng.choice([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xc0\xaf",
                          b"\xed\xa0\x80", b"\xf5\x80\x80\x80", b"\x80",
                          b"abc\xe2\x82"])
        where = rng.choice([b"{\"v\":1,\"cmd\":\"%s\"}",
                            b"{\"v\":1,\"cmd\":\"stop\",\"target\":\"%s\"}",
                            b"{\"v\":1,\"cmd\":\"describe\",\"target\":\"%s\"}",
                            b"{\"v\":1,\"cmd\":\"list\",\"x\":\"%s\"}"])
        return "invalid-utf8", where.replace(b"%s", bad), {"EBADREQ"}
    if k == 12:
        # Random mutations of harmless requests: any stable code, or ok.
        base = bytearray(rng.choice([b"{\"v\":1,\"cmd\":\"list\"}",
                                     b"{\"v\":1,\"cmd\":\"ping\"}",
                                     b"{\"v\":1,\"cmd\":\"describe\","
                                     b"\"target\":\"nosuch\"}"]))
        # Printable ASCII only: invalid UTF-8 has its own class.
        for _ in range(rng.randrange(1, 3)):
            op = rng.randrange(3)
            pos = rng.randrange(len(base))
            if op == 0:
                base[pos] = rng.randrange(0x20, 0x7f)
            elif op == 1:
                del base[pos]
            else:
                base.insert(pos, rng.randrange(0x20, 0x7f))
        return "mutated", bytes(base).replace(b"\n", b" "), None
    if k == 13:
        return "unknown-cmd", json.dumps(
            {"v": 1, "cmd": "cmd-%d" % n, "target": "h",
             "extra": {"deep": [1, 2, {"x": None}]}}).encode(), {"EUNKNOWN"}
    if k == 14:
        return "wrong-type", json.dumps(
            {"v": 1, "cmd": "start",
             "spec": {"name": "x", "script": "/x",
                      rng.choice(["args", "env", "listen"]): "notalist"}}
        ).encode(), {"EBADREQ"}
    return "absurd-number", json.dumps(
        {"v": 1, "cmd": "scale", "target": "h",
         "count": rng.choice([10 ** 6, -10 ** 6, 2 ** 63, 1e-300])}
    ).encode(), {"EBADREQ"}


def flood(total, conns, batch=50):
    per = total // conns
    stats = {}
    lock = threading.Lock()
    errors = []

    def worker(c):
        rng = random.Random(1000 + c)
        try:
            s = connect(30)
            buf = b""
            done = 0
            while done < per:
                k = min(batch, per - done)
                reqs = [malformed(rng, done + j + c) for j in range(k)]
                s.sendall(b"".join(line + b"\n" for _, line, _ in reqs))
                lines, buf = read_lines(s, k, buf)
                for (cls, line, want), raw in zip(reqs, lines):
                    with lock:
                        st = stats.setdefault(cls, {"n": 0, "bad": 0,
                                                    "codes": {}, "ex": []})
                        st["n"] += 1
                        try:
                            r = check_reply(raw)
                            code = "ok" if r["ok"] else r["error"]["code"]
                            if want is not None and code not in want:
                                raise ValueError("expected %s, got %s"
                                                 % ("/".join(sorted(want)),
                                                    code))
                            st["codes"][code] = st["codes"].get(code, 0) + 1
                        except ValueError as e:
                            st["bad"] += 1
                            if len(st["ex"]) < 2:
                                st["ex"].append("%s: request %r -> reply %r"
                                                % (e, line[:80], raw[:160]))
                done += k
            s.close()
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append("connection %d: %r" % (c, e))

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(c,))
               for c in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    n = sum(st["n"] for st in stats.values())
    print("sent %d malformed requests over %d connections in %.1fs"
          % (n, conns, secs))
    rc = 0
    for cls in sorted(stats):
        st = stats[cls]
        print("class %-16s n=%-5d bad=%-5d codes=%s"
              % (cls, st["n"], st["bad"], json.dumps(st["codes"],
                                                     sort_keys=True)))
        for ex in st["ex"]:
            print("  example: %s" % ex)
        if st["bad"]:
            print("PROBLEM: %s: %d of %d replies wrong" % (cls, st["bad"],
                                                          st["n"]))
            rc = 1
    for e in errors:
        print("PROBLEM: %s" % e)
        rc = 1
    if n != per * conns:
        print("PROBLEM: only %d of %d requests answered" % (n, per * conns))
        rc = 1
    return rc


# --- one huge line ---------------------------------------------------

def bigline(size, newline):
    """size bytes of one line (JSON-looking); expect ETOOBIG and EOF."""
    s = connect(30)
    sent_err = []

    def send():
        try:
            s.sendall(b"{\"v\":1,\"cmd\":\"list\",\"x\":\"" +
                      b"a" * size + (b"\"}\n" if newline else b""))
        except OSError as e:
            sent_err.append(e)

    t = threading.Thread(target=send)
    t0 = time.monotonic()
    t.start()
    buf = b""
    end = "EOF"
    try:
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            buf += b
    except ConnectionResetError:
        # The daemon closed with our unread bytes in its queue: the
        # kernel says so after the queued reply.
        end = "ECONNRESET"
    except OSError as e:
        print("PROBLEM: reading the reply: %r" % e)
        return 1
    t.join()
    ms = int((time.monotonic() - t0) * 1000)
    lines = buf.split(b"\n")
    print("%d-byte line: %d ms, reply %r, then %s (sender: %s)"
          % (size, ms, lines[0][:120], end,
             sent_err[0] if sent_err else "done"))
    try:
        r = check_reply(lines[0])
    except ValueError as e:
        print("PROBLEM: %s" % e)
        return 1
    if r["ok"] or r["error"]["code"] != "ETOOBIG":
        print("PROBLEM: expected ETOOBIG")
        return 1
    if len(lines) != 2 or lines[1] != b"":
        print("PROBLEM: more than one reply line")
        return 1
    return 0


def boundary():
    """A line of exactly CLM_MAX_FRAME bytes is served; one more is not."""
    rc = 0
    head = b"{\"v\":1,\"cmd\":\"list\",\"pad\":\""
    for size, want in ((16 << 20, "ok"), ((16 << 20) + 1, "ETOOBIG")):
        line = head + b"a" * (size - len(head) - 2) + b"\"}"
        assert len(line) == size
        s = connect(30)
        s.sendall(line + b"\n")
        lines, _ = read_lines(s, 1)
        s.close()
        r = check_reply(lines[0])
        got = "ok" if r["ok"] else r["error"]["code"]
        print("line of %d bytes: %s" % (size, got))
        if got != want:
            print("PROBLEM: line of %d bytes: expected %s, got %s"
                  % (size, want, got))
            rc = 1
    return rc


def bigmany(n, size, pid, limit_kb):
    """n clients at once, each a valid line of size bytes, its newline
    held back 3 s: each served, and clmd's RSS meanwhile under limit_kb
    (2 of them at a time hold a big line; the others wait)."""
    head = b"{\"v\":1,\"cmd\":\"list\",\"pad\":\""
    body = head + b"a" * (size - len(head) - 2) + b"\"}"
    got = [None] * n
    top = [0]
    done = threading.Event()
    go = threading.Event()

    def client(i):
        try:
            s = connect(60)
            s.sendall(body)
            go.wait()
            s.sendall(b"\n")
            lines, _ = read_lines(s, 1)
            s.close()
            got[i] = "ok" if check_reply(lines[0])["ok"] else "error"
        except (OSError, ValueError) as e:
            got[i] = repr(e)

    def watch():
        while not done.is_set():
            with open("/proc/%s/status" % pid) as f:
                for ln in f:
                    if ln.startswith("VmRSS:"):
                        top[0] = max(top[0], int(ln.split()[1]))
            time.sleep(0.005)

    w = threading.Thread(target=watch)
    w.start()
    ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    time.sleep(3)
    go.set()
    for t in ts:
        t.join()
    done.set()
    w.join()
    print("%d clients of a %d-byte line: %s; clmd's VmRSS at most %d kB"
          % (n, size, ", ".join(sorted(set(got))), top[0]))
    rc = 0
    if any(g != "ok" for g in got):
        print("PROBLEM: not every big line was served: %r" % got)
        rc = 1
    if limit_kb and top[0] >= limit_kb:
        print("PROBLEM: clmd's VmRSS reached %d kB (limit %d kB): more "
              "big lines held at once than its slots" % (top[0], limit_kb))
        rc = 1
    return rc


# --- idle connections and the client limit ----------------------------

def idle(n):
    rc = 0
    socks = []
    for _ in range(n):
        socks.append(connect(10))
    time.sleep(1.0)
    refused, open_ = [], []
    for i, s in enumerate(socks):
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            open_.append(s)
            continue
        data = b""
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
        except OSError:
            pass
        refused.append((i, data))
    print("%d connections: %d still open, %d refused or dropped"
          % (n, len(open_), len(refused)))
    for i, data in refused:
        try:
            r = check_reply(data.split(b"\n")[0])
            code = r["error"]["code"] if not r["ok"] else "ok"
        except ValueError as e:
            code = "bad reply (%s): %r" % (e, data[:100])
        if code not in ("ETOOBIG", "EBUSY"):
            print("PROBLEM: connection %d ended with %s" % (i, code))
            rc = 1
    if refused:
        print("a refused connection's reply: %r" % refused[0][1][:160])
    if len(open_) > 256:
        print("PROBLEM: %d connections open, over the limit of 256"
              % len(open_))
        rc = 1
    if n > 256 and len(refused) < n - 256:
        print("PROBLEM: only %d of %d connections over the limit were "
              "refused" % (len(refused), n))
        rc = 1

    # A raw request beyond the limit gets an error reply, not silence.
    s = connect(5)
    try:
        s.sendall(b"{\"v\":1,\"cmd\":\"ping\"}\n")
    except OSError:
        pass
    try:
        lines, _ = read_lines(s, 1)
        r = check_reply(lines[0])
        print("one more connection, ping: %s" %
              ("ok" if r["ok"] else r["error"]["code"]))
    except (EOFError, OSError, ValueError) as e:
        print("PROBLEM: one more connection, ping: no reply (%r)" % e)
        rc = 1
    s.close()

    ms, st, err = clm_list_ms()
    print("clm list with %d idle connections open: exit %d in %d ms %s"
          % (len(open_), st, ms, err))
    if st != 0 or ms >= 1000:
        print("PROBLEM: clm list with %d idle connections open: exit %d "
              "in %d ms (%s); expected exit 0 in < 1000 ms"
              % (len(open_), st, ms, err))
        rc = 1
    for s in socks:
        s.close()
    time.sleep(0.3)
    ms, st, err = clm_list_ms()
    print("clm list after closing them: exit %d in %d ms %s" % (st, ms, err))
    if st != 0 or ms >= 1000:
        print("PROBLEM: clm list after closing the idle connections: exit "
              "%d in %d ms (%s)" % (st, ms, err))
        rc = 1
    return rc


# --- concurrent garbage senders --------------------------------------

GARBAGE_CLASSES = [k for k in range(16) if k not in (10, 11)]


def garbage(senders, lines_each):
    rc = 0
    errors = []
    answered = [0]
    lock = threading.Lock()
    stop = threading.Event()
    lat = []

    def sender(c):
        rng = random.Random(c)
        try:
            s = connect(60)
            buf = b""
            for _ in range(lines_each // 10):
                # Not the invalid-UTF-8 classes: flood checks those.
                reqs = [malformed(rng, rng.choice(GARBAGE_CLASSES))[1]
                        for _ in range(10)]
                s.sendall(b"".join(r + b"\n" for r in reqs))
                lines, buf = read_lines(s, 10, buf)
                for raw in lines:
                    check_reply(raw)
                with lock:
                    answered[0] += 10
            s.close()
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append("sender %d: %r" % (c, e))

    def lister():
        while not stop.is_set():
            lat.append(clm_list_ms())
            time.sleep(0.1)

    threads = [threading.Thread(target=sender, args=(c,))
               for c in range(senders)]
    lt = threading.Thread(target=lister)
    t0 = time.monotonic()
    for t in threads:
        t.start()
    lt.start()
    for t in threads:
        t.join()
    stop.set()
    lt.join()
    secs = time.monotonic() - t0
    print("%d garbage senders: %d replies in %.1fs"
          % (senders, answered[0], secs))
    for e in errors[:5]:
        print("PROBLEM: %s" % e)
        rc = 1
    if lat:
        worst = max(lat)
        print("clm list meanwhile: %d calls, worst %d ms (exit %d)"
              % (len(lat), worst[0], worst[1]))
        bad = [x for x in lat if x[1] != 0 or x[0] >= 1000]
        if bad:
            print("PROBLEM: clm list during the garbage: %d of %d calls "
                  "failed or took >= 1 s, e.g. %r" % (len(bad), len(lat),
                                                       bad[0]))
            rc = 1
    return rc


# --- clients that hang up ---------------------------------------------

def hangup(n):
    for i in range(n):
        s = connect(5)
        s.sendall(b"{\"v\":1,\"cmd\":\"list\"}\n")
        if i % 2:
            s.shutdown(socket.SHUT_RDWR)
        s.close()
    # Many requests pipelined, then gone before the replies are read.
    for _ in range(20):
        s = connect(5)
        s.sendall(b"{\"v\":1,\"cmd\":\"list\"}\n" * 500)
        s.close()
    # Half a request, then gone.
    for _ in range(50):
        s = connect(5)
        s.sendall(b"{\"v\":1,\"cmd\":\"li")
        s.close()
    print("%d clients hung up mid-reply, 20 after 500 requests, 50 "
          "mid-request" % n)
    return 0


# --- the idle timeout ---------------------------------------------------

def idlewatch(n, limit_s):
    """n connections that send nothing (one sends half a request): the
    daemon drops each after its idle time, before limit_s seconds."""
    socks = [connect(limit_s + 5) for _ in range(n)]
    socks[0].sendall(b"{\"v\":1,\"cmd\":")
    t0 = time.monotonic()
    ends = []
    for s in socks:
        # Dropped: EOF, possibly after an error reply (a client dropped
        # to make room for another gets EBUSY first).
        gone = False
        while not gone:
            left = max(0.1, limit_s - (time.monotonic() - t0))
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            try:
                gone = s.recv(4096) == b""
            except OSError:
                gone = True
        ends.append(time.monotonic() - t0 if gone else None)
        s.close()
    print("idle connections dropped after: %s"
          % ", ".join("%.1fs" % e if e is not None else "never"
                      for e in ends))
    if None in ends:
        print("PROBLEM: %d of %d idle connections still open after %ds"
              % (ends.count(None), n, limit_s))
        return 1
    if min(ends) < 25:
        print("PROBLEM: an idle connection was dropped after %.1fs, before "
              "the idle timeout" % min(ends))
        return 1
    return 0


# --- a client that never reads -----------------------------------------

def noread(mbytes, pid):
    """Send mbytes MB of list requests, never read; clmd's RSS after."""
    s = connect(2)
    line = b"{\"v\":1,\"cmd\":\"list\"}\n"
    chunk = line * 4096
    sent = 0
    t0 = time.monotonic()
    stalled = False
    while sent < mbytes * 1024 * 1024 and time.monotonic() - t0 < 20:
        try:
            s.sendall(chunk)
        except socket.timeout:
            stalled = True	# the daemon stopped reading: fine
            break
        except OSError as e:
            print("sending stopped: %r" % e)
            break
        sent += len(chunk)
    time.sleep(0.5)
    with open("/proc/%s/status" % pid) as f:
        st = {k: v.strip() for k, v in
              (ln.split(":", 1) for ln in f if ":" in ln)}
    ms, rc, err = clm_list_ms()
    print("never-reading client: sent %.1f MB (%d requests) in %.1fs%s; "
          "clmd VmRSS %s; clm list meanwhile: exit %d in %d ms"
          % (sent / 1048576, sent // len(line), time.monotonic() - t0,
             ", then the daemon stopped reading" if stalled else "",
             st.get("VmRSS"), rc, ms))
    s.close()
    print("RSS_KB %s" % st.get("VmRSS", "0 kB").split()[0])
    return 0 if rc == 0 and ms < 1000 else 1


if MODE == "flood":
    sys.exit(flood(int(ARGS[0]), int(ARGS[1])))
elif MODE == "bigline":
    sys.exit(bigline(int(ARGS[0]), ARGS[1] == "nl"))
elif MODE == "boundary":
    sys.exit(boundary())
elif MODE == "bigmany":
    sys.exit(bigmany(int(ARGS[0]), int(ARGS[1]), ARGS[2], int(ARGS[3])))
elif MODE == "idle":
    sys.exit(idle(int(ARGS[0])))
elif MODE == "garbage":
    sys.exit(garbage(int(ARGS[0]), int(ARGS[1])))
elif MODE == "hangup":
    sys.exit(hangup(int(ARGS[0])))
elif MODE == "idlewatch":
    sys.exit(idlewatch(int(ARGS[0]), int(ARGS[1])))
elif MODE == "noread":
    sys.exit(noread(int(ARGS[0]), ARGS[1]))
sys.exit("unknown mode " + MODE)
PY

# hostile MODE ARGS...: run one phase with a time limit; its PROBLEM lines
# become problems of the test.
hostile() {
	local out rc
	out=$(timeout -k 5 120 "$PY" "$H" "$CLM_HOME/clm.sock" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /'
	if [ "$rc" -ne 0 ]; then
		if grep -q '^PROBLEM' <<<"$out"; then
			while IFS= read -r l; do
				PROBLEMS+=("$1: ${l#PROBLEM: }")
			done < <(grep '^PROBLEM' <<<"$out")
		else
			problem "$1: exit $rc: $(tail -n 3 <<<"$out")"
		fi
	fi
	HOSTILE_OUT=$out
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# daemon_ok WHAT: the daemon and the app are as at the start, and
# `clm list` answers within a second.
daemon_ok() {
	local t0 ms
	if pid_dead "$DPID"; then
		fail "$1: clmd (pid $DPID) is gone"
	fi
	t0=$(now_ms)
	capture clm list --json
	ms=$(($(now_ms) - t0))
	if [ "$RC" -ne 0 ]; then
		problem "$1: clm list exit $RC: $ERR"
		return
	fi
	[ "$ms" -lt 1000 ] || problem "$1: clm list took $ms ms"
	local got
	got=$(printf '%s\n' "$OUT" | jpy '" ".join("%s:%s" % (w["pid"],
	    w["status"]) for w in d if w["name"] == "h")')
	[ "$got" = "$APID:online" ] ||
	    problem "$1: app h is '$got', expected '$APID:online'"
	ok "$1: clm list in $ms ms, h online with pid $APID, clmd RSS $(rss_kb "$DPID") kB"
}

check "start a daemon and an app"
capture clm start "$FIXTURES/sleeper.js" --name h
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online h 1
DPID=$(daemon_pid)
APID=$(pid_of h 0)
track_pid "$DPID" "$APID"
note "clmd pid $DPID (RSS $(rss_kb "$DPID") kB), app pid $APID"

check "10,000 malformed requests over 10 connections"
hostile flood 10000 10
daemon_ok "after the malformed requests"

check "a 32 MiB line without a newline: ETOOBIG, then the connection closes"
hostile bigline $((32 * 1024 * 1024)) nonl
check "a 20 MiB line with a newline: ETOOBIG"
hostile bigline $((20 * 1024 * 1024)) nl
check "a line of exactly 16 MiB is served, one byte more is not"
hostile boundary
daemon_ok "after the big lines"
# 8 clients of 6 MiB at once: 2 hold a big line at a time (clmd under 40
# MB); all 8 at once would be about 60 MB.
check "8 clients each send a 6 MiB line at once: all served, 2 at a time"
limit=$((40 * 1024))
grep -q __asan_init "$CLM_BIN_DIR/clmd" 2>/dev/null && limit=0
hostile bigmany 8 $((6 * 1024 * 1024)) "$DPID" "$limit"
daemon_ok "after the big lines at once"

check "300 idle connections (the limit is 256 clients)"
hostile idle 300
daemon_ok "after the idle connections"

check "100 concurrent garbage senders, clm list meanwhile"
hostile garbage 100 1000
daemon_ok "after the garbage senders"

check "clients that disconnect mid-reply"
hostile hangup 300
daemon_ok "after the hang-ups"

# In the background from here on (after the phases that open hundreds of
# connections and so evict the idlest clients to make room): idle clients are dropped after 30 s (a sweep
# every 5 s): all of them within 40 s, none before 25 s.
"$PY" "$H" "$CLM_HOME/clm.sock" idlewatch 5 40 >"$TEST_TMP/idle.out" 2>&1 &
IDLEWATCH=$!
track_pid "$IDLEWATCH"

check "clmd's memory stayed bounded"
hwm=$(hwm_kb "$DPID")
rss=$(rss_kb "$DPID")
note "clmd VmRSS $rss kB, peak (VmHWM) $hwm kB"
[ "$hwm" -lt "$HWM_MAX_KB" ] ||
    problem "clmd's peak RSS (VmHWM) $hwm kB, expected < $HWM_MAX_KB kB"
[ "$rss" -lt "$RSS_MAX_KB" ] ||
    problem "clmd's RSS $rss kB, expected < $RSS_MAX_KB kB"

check "a client that sends requests and never reads the replies"
hostile noread 8 "$DPID"
rss=$(sed -n 's/^RSS_KB //p' <<<"$HOSTILE_OUT")
if [ -n "$rss" ] && [ "$rss" -ge "$RSS_MAX_KB" ]; then
	problem "a client that never reads its replies grew clmd to $rss kB" \
	    "(expected < $RSS_MAX_KB kB: replies queue without bound)"
fi
daemon_ok "after the client that never read"

check "idle clients are dropped after 30 s"
wait "$IDLEWATCH"
rc=$?
sed 's/^/  | /' "$TEST_TMP/idle.out"
if [ "$rc" -ne 0 ]; then
	problem "idle timeout: $(grep PROBLEM "$TEST_TMP/idle.out" ||
	    tail -n 3 "$TEST_TMP/idle.out")"
fi

check "the daemon's log has no crash or assertion"
if grep -Ei 'fatal|assert|abort|sanitizer' "$CLM_HOME/clmd.log"; then
	problem "clmd.log reports a fatal error"
fi
ok "clmd.log: $(wc -l <"$CLM_HOME/clmd.log") lines"

if [ "${#PROBLEMS[@]}" -gt 0 ]; then
	echo "PROBLEMS (${#PROBLEMS[@]}):" >&2
	printf '  - %s\n' "${PROBLEMS[@]}" >&2
	fail "${#PROBLEMS[@]} problems (listed above)"
fi
