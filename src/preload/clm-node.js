// clm's Node.js preload (node --require, through NODE_OPTIONS). It changes
// nothing in an app that is not run by clm. Under clm it:
//  - gives process.send('ready') its PM2 meaning (wait_ready) when the app
//    has no IPC channel of its own: it tells clmd the worker is ready;
//  - drains HTTP servers gracefully on the kill signal: stop accepting,
//    answer in-flight and next requests with "Connection: close", close
//    keep-alive connections that stay idle past a short grace, then exit;
//  - says WATCHDOG=1 from a timer when the app has a watchdog.
'use strict';

const fd = Number(process.env.CLM_NOTIFY_FD);
if (Number.isInteger(fd) && fd > 2 && process.env.CLM_APP_NAME) {
  const fs = require('fs');
  const http = require('http');
  const https = require('https');

  // The channel belongs to this process, not to its children.
  delete process.env.CLM_NOTIFY_FD;

  const notify = (line) => {
    try { fs.writeSync(fd, line); } catch (e) { /* clmd gone: nothing to tell */ }
  };

  // The watchdog option: say WATCHDOG=1 from the event loop, three times a
  // period, so that a blocked loop (while (true) {}, a sync deadlock) stops
  // saying it and clmd replaces the worker. Unref'd: it keeps nothing alive.
  const watchdogMs = Number(process.env.CLM_WATCHDOG_USEC) / 1000;
  delete process.env.CLM_WATCHDOG_USEC;
  if (watchdogMs > 0) {
    notify('WATCHDOG=1');
    setInterval(() => notify('WATCHDOG=1'),
      Math.max(Math.floor(watchdogMs / 3), 10)).unref();
  }

  if (typeof process.send !== 'function') {
    process.send = function send(msg, ...rest) {
      if (msg === 'ready') notify('READY=1');
      const cb = rest.find((a) => typeof a === 'function');
      if (cb) process.nextTick(cb, null);
      return true;
    };
  }

  const servers = new Set();
  const killSignal = process.env.CLM_KILL_SIGNAL || 'SIGINT';
  const graceMs = Number(process.env.CLM_DRAIN_GRACE_MS) || 500;
  let draining = false;

  // Nothing per connection nor per request until a drain: the open
  // connections are Node's own list (http.Server keeps one since 18.2, for
  // closeIdleConnections), read at the drain; whether one is busy is read
  // from its socket (Node's http sets socket._httpMessage to the response
  // in flight, null once it is done). Even a listener per connection cost
  // a tenth of the throughput of new connections (more garbage collected).
  // A server without that list (another Node) gets a Set of its own.
  const nodeList = (server) => {
    const sym = Object.getOwnPropertySymbols(server)
      .find((k) => k.description === 'http.server.connections');
    const list = sym && server[sym];
    return list && typeof list.all === 'function' ? list : null;
  };
  const connectionsOf = (server) => {
    const list = nodeList(server);
    if (list) return list.all().map((parser) => parser.socket).filter(Boolean);
    return server.__clmSockets ? [...server.__clmSockets] : [];
  };
  function forget() { this.server.__clmSockets.delete(this); }
  function onConnection(sock) {
    this.__clmSockets.add(sock);
    sock.on('close', forget);
  }
  const track = (server) => {
    if (servers.has(server)) return;
    servers.add(server);
    server.on('close', () => servers.delete(server));
    server.once('listening', () => {
      if (nodeList(server)) return;
      server.__clmSockets = new Set();
      server.on('connection', onConnection);
    });
  };

  const busy = (sock) => sock._httpMessage != null;

  // A response that passes while draining says Connection: close, and once
  // it is done its connection may be idle.
  function drainResponse(sock, res) {
    if (!res.headersSent) res.setHeader('Connection', 'close');
    res.once('finish', () => armIdle(sock));
  }
  function onDrainRequest(req, res) {
    const sock = req.socket;
    if (sock.__clmIdle) { clearTimeout(sock.__clmIdle); sock.__clmIdle = null; }
    drainResponse(sock, res);
  }

  // A keep-alive connection that looks idle may carry a request the client
  // is sending right now: close it only after a grace period without one.
  function armIdle(sock) {
    if (sock.destroyed || busy(sock) || sock.__clmIdle) return;
    sock.__clmIdle = setTimeout(() => {
      sock.__clmIdle = null;
      if (!busy(sock)) sock.destroy();
    }, graceMs);
    sock.__clmIdle.unref();
  }

  for (const mod of [http, https]) {
    const orig = mod.Server.prototype.listen;
    mod.Server.prototype.listen = function listen(...args) {
      track(this);
      return orig.apply(this, args);
    };
  }

  const drain = () => {
    if (draining) return;
    draining = true;
    let open = 0;
    const done = () => { if (--open === 0) finish(); };
    for (const server of servers) {
      open++;
      const socks = connectionsOf(server);
      server.prependListener('request', onDrainRequest);
      server.on('connection', armIdle);
      // Node 19+ closes idle connections in close(), at once: that is the
      // race above. Idle connections get the grace period instead.
      server.closeIdleConnections = () => {};
      server.close(done);
      for (const sock of socks) {
        if (busy(sock)) drainResponse(sock, sock._httpMessage);
        else armIdle(sock);
      }
    }
    if (open === 0) finish();
  };

  function finish() {
    // The app's own handlers for the signal decide when it exits. Without
    // any, once every server has closed, the signal does what it would have
    // done without us: end the process, as killed by that signal.
    if (process.listenerCount(killSignal) > 1) return;
    process.removeListener(killSignal, drain);
    process.kill(process.pid, killSignal);
  }

  process.on(killSignal, drain);
}
