#!/bin/bash
# clm-logd on its own, driven by a fake clmd in python3 (no clmd involved):
# 500,000 lines in order, merged files, rotation, REOPEN and SIGUSR1,
# SIGKILL of clm-logd under load (nothing lost, the writer never sees
# EPIPE), timestamps, partial lines, clmd going away, signals, a full disk.
# Prints the time and clm-logd's CPU for 50 MB of output.
#
# Uses $CLM_BIN_DIR/clm-logd when there is one, else compiles it.
# LOGD_TESTS=sigkill,merged runs only those scenarios.
set -u
set -o pipefail
export LC_ALL=C

CLM_SRC_DIR=${CLM_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CLM_BIN_DIR=${CLM_BIN_DIR:-/work/main/build}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi

TEST_TMP=$(mktemp -d /tmp/clmlogd.XXXXXX) || exit 1
trap 'rm -rf "$TEST_TMP"' EXIT

LOGD=$CLM_BIN_DIR/clm-logd
if [ ! -x "$LOGD" ]; then
	LOGD=$TEST_TMP/clm-logd
	echo "note: no $CLM_BIN_DIR/clm-logd: compiling one"
	if ! gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
	    -I"$CLM_SRC_DIR/include" "$CLM_SRC_DIR/cmd/clm-logd.c" \
	    "$CLM_SRC_DIR/src/logwriter.c" "$CLM_SRC_DIR/src/common.c" \
	    -o "$LOGD"; then
		echo "FAIL: test_logd: cannot compile clm-logd" >&2
		exit 1
	fi
fi

cat >"$TEST_TMP/fakeclmd.py" <<'PYEOF'
import calendar, fcntl, os, re, signal, socket, subprocess, sys, time

LOGD, TMP = sys.argv[1], sys.argv[2]
F_SETPIPE_SZ = 1031
children = []		# every process we start, checked at the end


def check(msg):
    print("check: " + msg, flush=True)


def ok(msg):
    print("  ok: " + msg, flush=True)


def note(msg):
    print("  note: " + msg, flush=True)


class Fail(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Fail(msg)


def wait_until(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.01)
    raise Fail("timed out (%ss) waiting for %s" % (timeout, what))


def size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return -1


def read(path):
    """The file, or b"" while it does not exist (a rotation renames it
    and creates it again)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def cpu_ms(pid):
    """utime+stime (in ticks of 10 ms), and the scheduler's ns count."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            ns = int(f.read().split()[0])
    except OSError:
        ns = 0
    return ((int(fields[11]) + int(fields[12])) * 1000 // tick, ns / 1e6)


class Logd:
    """A clm-logd with fd 3 = our end of a SOCK_SEQPACKET pair, like clmd
    starts it. We keep a copy of every pipe's read end, as clmd does."""

    def __init__(self, name):
        self.errpath = os.path.join(TMP, name + ".stderr")
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = a
        child = fcntl.fcntl(b.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
        b.close()
        null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        err = os.open(self.errpath, os.O_WRONLY | os.O_CREAT | os.O_APPEND
                      | os.O_CLOEXEC, 0o644)
        acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1),
                (os.POSIX_SPAWN_DUP2, err, 2), (os.POSIX_SPAWN_DUP2, child, 3)]
        self.pid = os.posix_spawn(LOGD, [LOGD], os.environ,
                                  file_actions=acts)
        children.append(self.pid)
        for fd in (null, err, child):
            os.close(fd)
        self.status = None

    def add(self, sid, flags, max_size, retain, path, fd):
        msg = "ADD %s %s %d %d %s" % (sid, flags, max_size, retain, path)
        socket.send_fds(self.sock, [msg.encode()], [fd])

    def send(self, msg):
        self.sock.send(msg if isinstance(msg, bytes) else msg.encode())

    def ping(self, timeout=10):
        self.sock.settimeout(timeout)
        self.send("PING")
        try:
            r = self.sock.recv(64)
        except socket.timeout:
            raise Fail("no PONG from clm-logd within %ss" % timeout)
        finally:
            self.sock.settimeout(None)
        expect(r == b"PONG", "PING answered %r" % r)

    def alive(self):
        if self.status is not None:
            return False
        pid, st = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.status = st
        return False

    def wait_exit(self, timeout):
        wait_until(lambda: not self.alive(), timeout, "clm-logd to exit")
        return self.status

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self):
        self.kill()
        if self.status is None:
            _, self.status = os.waitpid(self.pid, 0)
        self.sock.close()

    def stderr(self):
        return read(self.errpath).decode(errors="replace")


def pipe(size=1 << 20):
    r, w = os.pipe()
    fcntl.fcntl(w, F_SETPIPE_SZ, size)	# as clmd does
    return r, w


def writer(argv, w, stdin=subprocess.DEVNULL):
    p = subprocess.Popen(argv, stdin=stdin, stdout=w, stderr=subprocess.PIPE)
    children.append(p.pid)
    os.close(w)
    return p


PAD = "x" * 91


def seq_lines(prefix, n, pad=PAD):
    """seq writes 4 KiB blocks: most end in the middle of a line."""
    return ["seq", "-f", prefix + "%07.0f " + pad, "1", str(n)]


def expected(prefix, n, pad=PAD):
    return "".join("%s%07d %s\n" % (prefix, i, pad) for i in range(1, n + 1)
                   ).encode()


def first_diff(got, want):
    gl, wl = got.split(b"\n"), want.split(b"\n")
    for i, (g, w) in enumerate(zip(gl, wl)):
        if g != w:
            return "line %d: got %r, want %r" % (i + 1, g[:120], w[:120])
    return "%d lines, want %d" % (len(gl) - 1, len(wl) - 1)


def check_writer(p, what):
    rc = p.wait(timeout=120)
    err = p.stderr.read().decode(errors="replace")
    expect(rc == 0 and err == "", "%s: exit %d, stderr %r (EPIPE?)" %
           (what, rc, err))


# --- scenarios ----------------------------------------------------------

def t_order(flags, label):
    n = 500000
    check("%s: 500,000 lines (50 MB) through one pipe: all, in order%s" %
          (label, " with timestamps" if flags == "t" else ""))
    d = Logd("order" + flags)
    path = os.path.join(TMP, "order%s.log" % flags)
    r, w = pipe()
    want = expected("", n)
    d.add("app:0:1:out", flags, 0, 0, path, r)
    t0 = time.time()
    cpu0 = cpu_ms(d.pid)
    p = writer(seq_lines("", n), w)
    stamp = 25 if flags == "t" else 0
    wait_until(lambda: size(path) >= len(want) + stamp * n, 120,
               "all 50 MB in %s" % path)
    dt = time.time() - t0
    cpu1 = cpu_ms(d.pid)
    check_writer(p, "writer")
    got = read(path)
    if flags == "t":
        bad = [l for l in got.split(b"\n")[:-1] if not re.match(
            rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \d{7} x{91}$", l)]
        expect(not bad, "badly stamped line: %r" % bad[:1])
        got = re.sub(rb"(?m)^.{24} ", b"", got)
    expect(got == want, "%s differs: %s" % (path, first_diff(got, want)))
    ok("%d lines, %d bytes, in order" % (n, len(want)))
    note("50 MB%s: %.2f s, clm-logd CPU %d ms (utime+stime; "
         "schedstat %.0f ms)" % (" with timestamps" if flags == "t" else "",
                                 dt, cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]))
    d.ping()
    d.stop()
    os.close(r)


def t_small_writes():
    n = 100000
    check("100,000 lines written one write(2) each: all, in order")
    d = Logd("small")
    path = os.path.join(TMP, "small.log")
    r, w = pipe()
    d.add("app:0:1:out", "-", 0, 0, path, r)
    code = ("import os\nfor i in range(1, %d + 1):\n"
            "    os.write(1, b'%%07d %s\\n' %% i)\n" % (n, PAD))
    cpu0 = cpu_ms(d.pid)
    t0 = time.time()
    p = writer([sys.executable, "-c", code], w)
    want = expected("", n)
    wait_until(lambda: size(path) >= len(want), 60, "all lines")
    dt, cpu1 = time.time() - t0, cpu_ms(d.pid)
    check_writer(p, "writer")
    got = read(path)
    expect(got == want, "%s differs: %s" % (path, first_diff(got, want)))
    ok("%d lines in order" % n)
    note("%d small writes: %.2f s, clm-logd CPU %d ms (schedstat %.0f ms)"
         % (n, dt, cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]))
    d.stop()
    os.close(r)


def t_merged():
    n = 100000
    check("two writers merged into one file: every line intact, each "
          "writer's lines in order")
    d = Logd("merged")
    path = os.path.join(TMP, "merged.log")
    pad = "m" * 300	# 4 KiB blocks cut these lines at many places
    r1, w1 = pipe()
    r2, w2 = pipe()
    d.add("app:0:1:out", "-", 0, 0, path, r1)
    d.add("app:1:1:out", "-", 0, 0, path, r2)
    go_r, go_w = os.pipe()	# both start at once
    p1 = writer(["sh", "-c", 'read go; exec "$@"', "sh"] +
                seq_lines("A", n, pad), w1, go_r)
    p2 = writer(["sh", "-c", 'read go; exec "$@"', "sh"] +
                seq_lines("B", n, pad), w2, go_r)
    os.close(go_r)
    os.write(go_w, b"go\ngo\n")
    os.close(go_w)
    total = 2 * n * (1 + 7 + 1 + len(pad) + 1)
    wait_until(lambda: size(path) >= total, 120, "both writers' lines")
    check_writer(p1, "writer A")
    check_writer(p2, "writer B")
    lines = read(path).split(b"\n")
    expect(lines[-1] == b"", "no newline at the end of %s" % path)
    nxt = {b"A": 1, b"B": 1}
    switches, last = 0, None
    for i, l in enumerate(lines[:-1]):
        m = re.match(rb"([AB])(\d{7}) m{300}$", l)
        expect(m is not None, "line %d is not intact: %r" % (i + 1, l[:80]))
        w, k = m.group(1), int(m.group(2))
        expect(k == nxt[w], "line %d: %s%07d, want %s%07d" %
               (i + 1, w.decode(), k, w.decode(), nxt[w]))
        nxt[w] += 1
        switches += w != last
        last = w
    expect(nxt == {b"A": n + 1, b"B": n + 1}, "lines missing: %r" % nxt)
    ok("%d lines, none broken, %d switches between writers" %
       (2 * n, switches))
    expect(switches > 10, "the writers did not run concurrently (test bug)")
    d.stop()
    os.close(r1)
    os.close(r2)


def t_rotation():
    n, max_size, retain = 20000, 100000, 3
    check("rotation: max_size %d, retain %d, 2 MB written" %
          (max_size, retain))
    d = Logd("rot")
    path = os.path.join(TMP, "rot dir", "app-0-out.log")	# a space
    os.mkdir(os.path.dirname(path))
    r, w = pipe()
    d.add("app:0:1:out", "-", max_size, retain, path, r)
    p = writer(seq_lines("", n), w)
    check_writer(p, "writer")
    want = expected("", n)
    last = want.split(b"\n")[-2] + b"\n"
    wait_until(lambda: size(path) > 0 and read(path).endswith(last), 60,
               "the last line in %s" % path)
    names = sorted(os.listdir(os.path.dirname(path)))
    expect(names == ["app-0-out.log"] + ["app-0-out.log.%d" % i for i in
                                         range(1, retain + 1)],
           "files: %r" % names)
    parts = [path + ".%d" % i for i in range(retain, 0, -1)] + [path]
    for f in parts:
        expect(0 < size(f) <= max_size, "%s: %d bytes, max_size %d" %
               (f, size(f), max_size))
    got = b"".join(read(f) for f in parts)
    expect(want.endswith(got) and got.startswith(b"00"),
           "the files are not the last %d bytes of the output in order" %
           len(got))
    for f in parts[:-1]:
        expect(size(f) > max_size - 200, "%s: only %d bytes" % (f, size(f)))
    ok("%s and .1 to .%d, each <= %d bytes, contiguous, oldest dropped" %
       (os.path.basename(path), retain, max_size))
    os.close(r)

    check("rotation with retain 0 keeps only the file itself")
    path0 = os.path.join(TMP, "rot0.log")
    r, w = pipe()
    d.add("app:0:2:out", "-", 30000, 0, path0, r)
    p = writer(seq_lines("", 2000), w)
    check_writer(p, "writer")
    want = expected("", 2000)
    wait_until(lambda: size(path0) > 0 and read(path0).endswith(
        want[-100:]), 30, "the last line")
    expect(not os.path.exists(path0 + ".1"), "%s.1 exists" % path0)
    expect(size(path0) <= 30000, "%s: %d bytes" % (path0, size(path0)))
    ok("no .1, file <= max_size")
    d.stop()
    os.close(r)


def t_reopen():
    check("REOPEN after mv of the log makes a new file; so does SIGUSR1")
    d = Logd("reopen")
    path = os.path.join(TMP, "reopen.log")
    r, w = pipe()
    d.add("app:0:1:out", "-", 0, 0, path, r)
    os.write(w, b"before\n")
    wait_until(lambda: size(path) == 7, 10, "'before' in the file")
    os.rename(path, path + ".old")
    os.write(w, b"still old\n")
    wait_until(lambda: size(path + ".old") == 17, 10, "'still old'")
    expect(not os.path.exists(path), "%s came back by itself" % path)
    d.send("REOPEN")
    d.ping()	# answered after REOPEN is done
    expect(os.path.exists(path), "REOPEN did not create %s" % path)
    os.write(w, b"after\n")
    wait_until(lambda: size(path) == 6, 10, "'after' in the new file")
    expect(read(path + ".old") == b"before\nstill old\n", "old file: %r" %
           read(path + ".old"))
    expect(read(path) == b"after\n", "new file: %r" % read(path))
    ok("REOPEN: old lines in the moved file, new lines in a new one")
    os.rename(path, path + ".old2")
    d.kill(signal.SIGUSR1)
    wait_until(lambda: os.path.exists(path), 10, "SIGUSR1 to reopen")
    os.write(w, b"after usr1\n")
    wait_until(lambda: size(path) == 11, 10, "'after usr1'")
    expect(read(path + ".old2") == b"after\n", "moved file changed")
    ok("SIGUSR1 likewise")
    d.stop()
    os.close(r)
    os.close(w)


def t_sigkill():
    n = 300000
    check("SIGKILL of clm-logd twice while a writer writes 30 MB: the fake "
          "clmd starts it again and re-ADDs; no EPIPE, no line lost")
    path = os.path.join(TMP, "kill.log")
    r, w = pipe()		# our copy of r is what keeps the data
    d = Logd("kill0")
    d.add("app:0:1:out", "-", 0, 0, path, r)
    p = writer(seq_lines("", n), w)
    kills = 0
    for at in (5 << 20, 15 << 20):
        wait_until(lambda: size(path) >= at, 60, "%d bytes" % at)
        d.stop()
        kills += 1
        time.sleep(0.3)	# the writer fills the pipe meanwhile
        d = Logd("kill%d" % kills)
        d.add("app:0:1:out", "-", 0, 0, path, r)
    check_writer(p, "writer")
    want_last = b"%07d %s\n" % (n, PAD.encode())
    wait_until(lambda: read(path).endswith(want_last), 60, "the last line")
    lines = read(path).split(b"\n")
    expect(lines[-1] == b"", "no newline at the end")
    nxt, dups, cuts = 1, 0, 0
    for i, l in enumerate(lines[:-1]):
        m = re.match(rb"(\d{7}) x{91}$", l)
        if m is None:
            # A write cut short by SIGKILL leaves the start of a line
            # (at most one per kill); the next clm-logd writes that chunk
            # again from its first line, so the rest follows whole.
            m = re.search(rb"(\d{7}) x{91}$", l)
            cut = l[:m.start()] if m else l
            expect(m is not None and cut and b"%07d %s" % (
                nxt, PAD.encode()).startswith(cut) and
                int(m.group(1)) <= nxt and cuts < kills,
                "line %d broken: %r" % (i + 1, l[:120]))
            cuts += 1
        k = int(m.group(1))
        if k < nxt:
            dups += 1	# a chunk written again after a kill
            continue
        expect(k == nxt, "line %d: %07d, want %07d: lost lines" %
               (i + 1, k, nxt))
        nxt += 1
    expect(nxt == n + 1, "only %d lines" % (nxt - 1))
    ok("%d kills: writer exited 0, all %d lines in order, %d lines "
       "repeated, %d cut by a kill" % (kills, n, dups, cuts))
    d.stop()
    os.close(r)


def t_timestamps():
    check("timestamps: one ISO 8601 UTC prefix at each line start")
    d = Logd("ts")
    path = os.path.join(TMP, "ts.log")
    plain = os.path.join(TMP, "plain.log")
    r, w = pipe()
    r2, w2 = pipe()
    d.add("app:0:1:out", "t", 0, 0, path, r)
    d.add("app:0:1:err", "-", 0, 0, plain, r2)
    t0 = time.time()
    for piece in (b"ab", b"c\nde", b"f\n\n", b"g" * 70000, b"h\nend"):
        os.write(w, piece)
        os.write(w2, piece)
        time.sleep(0.05)
    os.close(w)
    os.close(w2)
    t1 = time.time()
    wait_until(lambda: read(path).endswith(b"end\n"), 10, "the last line")
    wait_until(lambda: read(plain).endswith(b"end\n"), 10, "the last line")
    expect(read(plain) == b"abc\ndef\n\n" + b"g" * 70000 + b"h\nend\n",
           "plain: %r" % read(plain)[:100])
    lines = read(path).split(b"\n")[:-1]
    pat = rb"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z "
    want = [b"abc", b"def", b"", b"g" * 70000 + b"h", b"end"]
    expect(len(lines) == len(want), "%d lines: %r" %
           (len(lines), [l[:40] for l in lines]))
    for l, body in zip(lines, want):
        m = re.match(pat, l)
        expect(m is not None, "no timestamp: %r" % l[:60])
        expect(l[25:] == body, "line %r, want a stamp then %r" %
               (l[:60], body[:30]))
        y, mo, da, h, mi, s, ms = (int(x) for x in m.groups())
        t = calendar.timegm((y, mo, da, h, mi, s, 0, 0, 0)) + ms / 1000
        expect(t0 - 2 <= t <= t1 + 2, "timestamp %r is not now (UTC)" %
               l[:24])
    ok("%r..." % lines[0].decode())
    ok("a stamp only at line starts; a 70 KB line and a last line without "
       "newline too")
    d.stop()
    os.close(r)
    os.close(r2)


def t_ctl_eof():
    check("clmd goes away: clm-logd goes on, exits 0 when the last stream "
          "ends (its partial line written with a newline)")
    d = Logd("ctleof")
    path = os.path.join(TMP, "ctleof.log")
    r, w = pipe()
    d.add("app:0:1:out", "-", 0, 0, path, r)
    os.close(r)		# no copy: we play a dead clmd
    d.ping()
    d.sock.close()
    os.write(w, b"after clmd\n")
    wait_until(lambda: size(path) == 11, 10, "a line after clmd left")
    expect(d.alive(), "clm-logd exited with a stream left")
    os.write(w, b"no newline")
    time.sleep(0.1)
    expect(read(path) == b"after clmd\n", "a partial line was written: %r"
           % read(path))
    os.close(w)
    st = d.wait_exit(10)
    expect(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, "status %r" % st)
    expect(read(path) == b"after clmd\nno newline\n", "%r" % read(path))
    ok("exit 0; file %r" % read(path))


def t_signals():
    check("SIGINT, SIGHUP, SIGPIPE ignored; SIGTERM writes partial lines "
          "and exits 0")
    d = Logd("sig")
    path = os.path.join(TMP, "sig.log")
    r, w = pipe()
    d.add("app:0:1:out", "-", 0, 0, path, r)
    os.write(w, b"one\ntwo, no newline")
    wait_until(lambda: size(path) == 4, 10, "'one'")
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        d.kill(s)
    d.ping()
    expect(d.alive(), "clm-logd died of SIGINT/SIGHUP/SIGPIPE")
    d.kill(signal.SIGTERM)
    st = d.wait_exit(10)
    expect(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, "status %r" % st)
    expect(read(path) == b"one\ntwo, no newline\n", "%r" % read(path))
    ok("alive after INT/HUP/PIPE; SIGTERM: exit 0, file %r" % read(path))
    d.sock.close()
    os.close(r)
    os.close(w)


def t_disk_full():
    check("a full disk (/dev/full): reported once, output dropped, "
          "the writer never blocks, other files go on")
    d = Logd("full")
    good = os.path.join(TMP, "good.log")
    r, w = pipe()
    r2, w2 = pipe()
    d.add("app:0:1:out", "-", 0, 0, "/dev/full", r)
    d.add("app:0:1:err", "-", 0, 0, good, r2)
    p = writer(seq_lines("", 200000), w)	# 20 MB into a full disk
    p2 = writer(seq_lines("", 1000), w2)
    check_writer(p, "writer to /dev/full")
    check_writer(p2, "writer to good.log")
    wait_until(lambda: size(good) == 100000, 10, "good.log")
    d.ping()
    reports = d.stderr().count("No space left on device")
    expect(reports == 1, "%d reports in clm-logd's stderr:\n%s" %
           (reports, d.stderr()))
    ok("one report: %s" % d.stderr().strip().split("warning: ")[-1])
    d.stop()
    os.close(r)
    os.close(r2)


def t_protocol():
    check("PING/PONG, and bad messages are reported, not fatal")
    d = Logd("proto")
    d.ping()
    r, w = pipe()
    d.send("HELLO")
    d.send("ADD x - 0 0 /no/fd")
    d.add("x", "-", 0, 0, "relative.log", r)
    d.add("x", "q", 0, 0, "/tmp/x.log", r)
    d.add("x", "-", -1, 0, "/tmp/x.log", r)
    d.send(b"ADD " + b"y" * 5000)
    d.add("x", "-", 0, 0, os.path.join(TMP, "nodir", "a.log"), r)
    d.ping()
    err = d.stderr()
    for want in ("unknown message 'HELLO'", "no fd came with it",
                 "not absolute", "unknown flag 'q'", "bad max_size '-1'",
                 "longer than 4096", "nodir/a.log: cannot open"):
        expect(want in err, "stderr lacks %r:\n%s" % (want, err))
    ok("each one named in clm-logd's stderr; still answering")
    os.write(w, b"lost?\n")
    wait_until(lambda: "nodir" in d.stderr(), 5, "report")
    os.mkdir(os.path.join(TMP, "nodir"))
    os.write(w, b"found\n")
    wait_until(lambda: size(os.path.join(TMP, "nodir", "a.log")) > 0, 10,
               "the file, once its folder exists")
    ok("a file that cannot be opened is tried again at the next write")
    d.stop()
    os.close(r)
    os.close(w)


tests = {"order": lambda: t_order("-", "plain"),
         "order_ts": lambda: t_order("t", "timestamps"),
         "small": t_small_writes, "merged": t_merged, "rotation": t_rotation,
         "reopen": t_reopen, "sigkill": t_sigkill, "timestamps": t_timestamps,
         "ctl_eof": t_ctl_eof, "signals": t_signals, "disk_full": t_disk_full,
         "protocol": t_protocol}
only = [t for t in os.environ.get("LOGD_TESTS", "").split(",") if t]
rc = 0
try:
    for name, t in tests.items():
        if not only or name in only:
            t()
except Fail as e:
    print("FAIL: test_logd: %s" % e, flush=True)
    rc = 1
finally:
    left = []
    for pid in children:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                left.append(pid)
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    if left and rc == 0:
        print("FAIL: test_logd: processes left running: %r" % left)
        rc = 1
sys.exit(rc)
PYEOF

echo "clm-logd: $LOGD"
"$PY" "$TEST_TMP/fakeclmd.py" "$LOGD" "$TEST_TMP"
rc=$?
[ $rc -eq 0 ] && echo "PASS: test_logd"
exit $rc
