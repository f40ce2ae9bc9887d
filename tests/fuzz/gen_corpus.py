#!/usr/bin/env python3
"""Write the seed corpus of the fuzz targets: corpus/<target>/<name>.

Valid inputs (what clm and clmd really exchange, real INI files) and
near-valid ones (one thing wrong each), so that the fuzzer starts deep in
the decoders. Run it again after changing it; run.sh only reads the
corpus. Usage: python3 tests/fuzz/gen_corpus.py
"""
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def j(obj):
    return json.dumps(obj, separators=(",", ":"))


SPEC = {
    "name": "web", "script": "/srv/app/server.js",
    "interpreter": "/usr/bin/node", "args": ["--port", "3000"],
    "cwd": "/srv/app", "env": ["PATH=/usr/bin:/bin", "NODE_ENV=production"],
    "instances": 2, "kill_signal": "SIGTERM", "kill_timeout_ms": 1600,
    "min_uptime_ms": 1000, "max_restarts": 16, "autorestart": True,
    "listen_timeout_ms": 3000, "listen": ["127.0.0.1:3000", "[::1]:3001"],
}


def requests():
    t = "proto_request_decode"
    ok = {
        "ping": {"v": 1, "cmd": "ping"},
        "list": {"v": 1, "cmd": "list"},
        "kill": {"v": 1, "cmd": "kill"},
        "save": {"v": 1, "cmd": "save"},
        "stop": {"v": 1, "cmd": "stop", "target": "web"},
        "stop_all": {"v": 1, "cmd": "stop", "target": "all"},
        "describe": {"v": 1, "cmd": "describe", "target": "web"},
        "restart_env": {"v": 1, "cmd": "restart", "target": "web",
                        "update_env": True, "env": ["A=1", "B="]},
        "scale": {"v": 1, "cmd": "scale", "target": "web", "count": 4},
        "scale_rel": {"v": 1, "cmd": "scale", "target": "web",
                      "count": -1, "relative": True},
        "start": {"v": 1, "cmd": "start", "spec": SPEC},
        "start_min": {"v": 1, "cmd": "start",
                      "spec": {"name": "a", "script": "/a.js"}},
        "start_name": {"v": 1, "cmd": "start", "target": "web"},
        "start_apps": {"v": 1, "cmd": "start", "apps": [
            SPEC, dict(SPEC, name="api", instances=-1, listen=None)]},
        "reload_apps": {"v": 1, "cmd": "reload", "apps": [
            {"name": "x", "script": "/x.py", "instances": 0}]},
        "resurrect": {"v": 1, "cmd": "resurrect"},
    }
    for k, v in ok.items():
        put(t, "ok_" + k, j(v))
    put(t, "ok_pretty", json.dumps(ok["start"], indent=2))
    bad = {
        "not_json": b"this is not json",
        "array": b"[1,2,3]",
        "string": b'"list"',
        "empty_obj": b"{}",
        "no_cmd": b'{"v":1}',
        "v_string": b'{"v":"1","cmd":"list"}',
        "v_float": b'{"v":1.5,"cmd":"list"}',
        "v_neg": b'{"v":-1,"cmd":"list"}',
        "v_huge": b'{"v":1e308,"cmd":"list"}',
        "v_999": b'{"v":999,"cmd":"list"}',
        "cmd_num": b'{"v":1,"cmd":42}',
        "unknown": b'{"v":1,"cmd":"frobnicate"}',
        "count_huge": b'{"v":1,"cmd":"scale","target":"w","count":1e300}',
        "count_frac": b'{"v":1,"cmd":"scale","target":"w","count":1.5}',
        "nul_escape": b'{"v":1,"cmd":"li\\u0000st"}',
        "nul_raw": b'{"v":1,"cmd":"li\x00st"}',
        "bad_utf8": b'{"v":1,"cmd":"stop","target":"\xff\xfe"}',
        "surrogate": b'{"v":1,"cmd":"stop","target":"\\ud800"}',
        "trailing": b'{"v":1,"cmd":"list"} x',
        "dup_key": b'{"v":1,"cmd":"list","cmd":"kill"}',
        "deep": b'{"v":1,"cmd":"list","x":' + b"[" * 2000 + b"]" * 2000 + b"}",
        "env_bad": b'{"v":1,"cmd":"restart","target":"w","env":["NOEQ"]}',
        "env_eq": b'{"v":1,"cmd":"restart","target":"w","env":["=x"]}',
        "spec_arr": b'{"v":1,"cmd":"start","spec":[]}',
        "spec_name": b'{"v":1,"cmd":"start","spec":{"name":"../x","script":"/a"}}',
        "spec_sig": b'{"v":1,"cmd":"start","spec":{"name":"a","script":"/a","kill_signal":"SIGFOO"}}',
        "spec_inst": b'{"v":1,"cmd":"start","spec":{"name":"a","script":"/a","instances":-2}}',
        "apps_dup": b'{"v":1,"cmd":"start","apps":[{"name":"a","script":"/a"},{"name":"a","script":"/b"}]}',
        "apps_obj": b'{"v":1,"cmd":"start","apps":{"name":"a"}}',
        "null_fields": b'{"v":1,"cmd":"list","target":null,"spec":null,"env":null}',
    }
    for k, v in bad.items():
        put(t, "bad_" + k, v)


def replies():
    t = "proto_reply_decode"
    w = {"name": "web", "id": 0, "pid": 1234, "status": "online",
         "restarts": 2, "uptime_ms": 12345, "cpu": 1.5,
         "memory": 41943040, "exit_code": None, "signal": None}
    ok = {
        "pong": {"v": 1, "ok": True, "daemon_pid": 42,
                 "daemon_version": "0.1.0"},
        "list": {"v": 1, "ok": True, "workers": [
            w, dict(w, id=1, pid=0, status="errored", exit_code=1,
                    signal="SIGKILL")]},
        "start": {"v": 1, "ok": True,
                  "notes": ["-i 99 clamped to 2 logical cores"],
                  "workers": [w]},
        "describe": {"v": 1, "ok": True, "spec": SPEC, "workers": [w]},
        "more": {"v": 1, "ok": True, "more": True, "notes": ["line"]},
        "error": {"v": 1, "ok": False, "error": {
            "code": "ENOAPP", "message": "no app named 'x' (see clm list)"}},
        "proto": {"v": 2, "ok": False, "error": {
            "code": "EPROTO", "message": "protocol version mismatch"}},
        "v2": {"v": 2, "ok": True, "workers": []},
    }
    for k, v in ok.items():
        put(t, "ok_" + k, j(v))
    bad = {
        "no_ok": b'{"v":1}',
        "ok_str": b'{"v":1,"ok":"yes"}',
        "no_error": b'{"v":1,"ok":false}',
        "workers_obj": b'{"v":1,"ok":true,"workers":{}}',
        "worker_id": b'{"v":1,"ok":true,"workers":[{"name":"a","id":-1,"status":"online"}]}',
        "worker_sig": b'{"v":1,"ok":true,"workers":[{"name":"a","id":0,"status":"x","signal":"SIGNOPE"}]}',
        "cpu_neg": b'{"v":1,"ok":true,"workers":[{"name":"a","id":0,"status":"x","cpu":-1}]}',
        "mem_huge": b'{"v":1,"ok":true,"workers":[{"name":"a","id":0,"status":"x","memory":1e20}]}',
        "exit_300": b'{"v":1,"ok":true,"workers":[{"name":"a","id":0,"status":"x","exit_code":300}]}',
        "notes_num": b'{"v":1,"ok":true,"notes":[1,2]}',
        "garbage": b"HTTP/1.1 400 Bad Request",
        # Found by the fuzzer: another version's EPROTO with an empty
        # message gave an empty cause ("clm: " and nothing else).
        "regress_eproto_empty": b'{"v":2,"ok":false,"error":{"code":'
                                b'"EPROTO","message":""}}',
    }
    for k, v in bad.items():
        put(t, "bad_" + k, v)


def dumps():
    t = "proto_dump_decode"
    put(t, "ok_two", json.dumps({"v": 1, "apps": [
        SPEC, dict(SPEC, name="api", listen=[], args=[])]}, indent=2))
    put(t, "ok_empty", '{"v":1,"apps":[]}')
    put(t, "ok_min", '{"v":1,"apps":[{"name":"a","script":"/a.js"}]}')
    put(t, "bad_v2", '{"v":2,"apps":[]}')
    put(t, "bad_no_apps", '{"v":1}')
    put(t, "bad_trunc", json.dumps({"v": 1, "apps": [SPEC]}, indent=2)[:200])
    put(t, "bad_dup", '{"v":1,"apps":[{"name":"a","script":"/a"},'
        '{"name":"a","script":"/a"}]}')
    put(t, "bad_spec", '{"v":1,"apps":[{"name":"a","script":7}]}')


def channel():
    t = "channel_parse"
    for k, v in {
        "listen": "LISTEN", "ready": "READY=1",
        "ready_multi": "STATUS=up\nREADY=1\nMAINPID=7",
        "status": "STATUS=working", "bind4": "BIND 4 127.0.0.1 3000 0",
        "bind6": "BIND 6 :: 8080 1", "bind6_v6only0": "BIND 6 ::1 1 0",
        "bad_port": "BIND 4 0.0.0.0 70000 0", "bad_fam": "BIND 5 x 1 0",
        "bad_trail": "BIND 4 1.2.3.4 80 0 extra", "bad_v6only": "BIND 4 a 1 2",
        "bad_short": "BIND 4", "bad_noeq": "HELLO", "bad_empty_line": "A=1\n\nB=2",
        "long_host": "BIND 4 " + "a" * 100 + " 80 0",
        "too_long": "READY=1\n" + "X=" + "y" * 600,
        "nul": "READY=1\0",
    }.items():
        put(t, k, v)


APPS = {
    "ok_one": "[web]\nscript = app.js\ninstances = 2\nenv.NODE_ENV = production\n",
    "ok_full": """; every key
[web]
script = app.js
args = --port 3000 "two words" 'single'
interpreter = node
instances = max
cwd = sub
listen = 127.0.0.1:3000
listen = [::1]:3001
kill_signal = SIGTERM
kill_timeout = 1.6s
min_uptime = 1s
max_restarts = 10
autorestart = false
listen_timeout = 3000ms
env.A = 1
env.B =

[api]
script = app.py
instances = -1

[job]
script = run.sh

[raw]
script = bin
interpreter = none
""",
    "ok_bom_crlf": "\xef\xbb\xbf[web]\r\nscript = app.js\r\n",
    "ok_comments": "# c\n; c\n[web] ; c\nscript = app.js ; inline\n",
    "bad_typo": "[web]\nscript = app.js\ninstanses = 2\n",
    "bad_dup_section": "[web]\nscript = app.js\n[web]\nscript = app.js\n",
    "bad_no_script": "[web]\ninstances = 1\n",
    "bad_missing_script": "[web]\nscript = nosuch.js\n",
    "bad_outside": "script = app.js\n[web]\nscript = app.js\n",
    "bad_header": "[web\nscript = app.js\n",
    "bad_header_trail": "[web] x\nscript = app.js\n",
    "bad_name": "[../etc]\nscript = app.js\n",
    "bad_values": "[web]\nscript = app.js\ninstances = lots\nkill_timeout = 5 days\n"
                  "kill_signal = SIGNOPE\nautorestart = maybe\nmax_restarts = -3\n"
                  "listen = 99999\nenv. = x\nenv.A=1\nenv.A=2\n",
    "bad_args": "[web]\nscript = app.js\nargs = \"unterminated\n",
    "bad_ctrl": "[web]\nscript = app.js\x01\n",
    "bad_utf8": "[web]\nscript = app\xff.js\n",
    "bad_long": "[web]\nscript = " + "a" * 300 + ".js\n",
    "bad_nokey": "[web]\njust words\n",
    "bad_cwd": "[web]\nscript = app.js\ncwd = nosuch\n",
    "bad_interp": "[web]\nscript = app.js\ninterpreter = no-such-prog\n",
    "empty": "",
}

DAEMON = {
    "ok_default": open(os.path.join(HERE, "..", "..", "config", "clm.ini"),
                       encoding="utf-8").read(),
    "ok_group": "[daemon]\nsocket = s.sock\nsocket_group = root\nlog_dir = logs\n",
    "ok_values": "[defaults]\nkill_timeout = 2m\nbackoff_initial = 0.5s\n"
                 "backoff_max = 1h\nmax_log_size = 512K\nlog_retain = 0\n",
    "ok_mode": "[daemon]\nsocket_mode = 0o660\nsocket_group = 0\n",
    "bad_section": "[deamon]\nsocket = x\n",
    "bad_key": "[daemon]\nsokcet = x\n",
    "bad_wrong_section": "[defaults]\nsocket = x\n",
    "bad_mode": "[daemon]\nsocket_mode = 0400\n",
    "bad_mode2": "[daemon]\nsocket_mode = 99999\n",
    "bad_group": "[daemon]\nsocket_group = no-such-group-x\n",
    "bad_group_mode": "[daemon]\nsocket_group = root\nsocket_mode = 0600\n",
    "bad_backoff": "[defaults]\nbackoff_initial = 10s\nbackoff_max = 1s\n",
    "bad_size": "[defaults]\nmax_log_size = 10Q\n",
    "bad_dur": "[defaults]\nkill_timeout = 1.1234567s\nmin_uptime = -1\n",
    "bad_long_socket": "[daemon]\nsocket = /" + "s" * 150 + "\n",
    "bad_dup": "[daemon]\nlog_dir = a\nlog_dir = b\n",
    "bad_empty_value": "[defaults]\nkill_signal =\n",
}


def ini():
    for k, v in APPS.items():
        put("config_load_apps", k, v.encode("latin-1") if "\xff" in v
            or "\xef" in v else v)
    for k, v in DAEMON.items():
        put("config_load_daemon", k, v)


if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    requests()
    replies()
    dumps()
    channel()
    ini()
    for t in sorted(os.listdir(OUT)):
        print("%s: %d seeds" % (t, len(os.listdir(os.path.join(OUT, t)))))
