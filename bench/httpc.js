// A tiny HTTP/1.1 client for the benchmark (Node >= 18, no dependencies).
// Every answer of bench/app.js is the pid of the worker that served it.
//   node httpc.js wait PORT TIMEOUT_MS    until GET / answers 200
//   node httpc.js spread PORT N CONC      N new connections (Connection:
//                                         close), CONC at a time
//   node httpc.js burst PORT C ROUNDS     ROUNDS bursts of C keep-alive
//                                         connections opened at once
//   node httpc.js load PORT SECONDS CONC RATE
//                                         steady load for SECONDS: CONC
//                                         lanes of new connections, at
//                                         most RATE requests a second;
//                                         SIGTERM ends it early
// spread and burst print one JSON line: connections per worker pid, the
// busiest worker's share in percent, and errors. load is strict: a request
// counts as answered only when its whole reply was read (status 200, HTTP/1.0
// or 1.1, the body to its Content-Length, then the server's close); it prints each
// failure on stderr as it happens and one JSON line at the end.
'use strict';
const net = require('net');

const [mode, portArg, a1, a2] = process.argv.slice(2);
const port = Number(portArg);
const host = '127.0.0.1';

// One connection, one request; resolves to the pid that answered. With
// hold, the socket stays open (keep-alive) and is returned for closing.
function ask(close, hold) {
	return new Promise((resolve) => {
		const sock = net.connect({ host, port });
		let buf = '';
		let done = false;
		const finish = (pid) => {
			if (done)
				return;
			done = true;
			if (!hold || pid === null)
				sock.destroy();
			resolve({ pid, sock });
		};
		sock.setTimeout(5000, () => finish(null));
		sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: b\r\n' +
		    (close ? 'Connection: close\r\n' : '') + '\r\n'));
		sock.on('data', (d) => {
			buf += d;
			const m = /^HTTP\/1\.[01] 200[^]*?\r\n\r\n(\d+)\n/.exec(buf);
			if (m)
				finish(m[1]);
		});
		sock.on('error', () => finish(null));
		sock.on('close', () => finish(null));
	});
}

function report(counts, errors) {
	const v = Object.values(counts);
	const total = v.reduce((s, x) => s + x, 0);
	const busiest = total ? 100 * Math.max(...v) / total : null;
	process.stdout.write(JSON.stringify({ counts, workers: v.length,
	    total, errors, busiest_pct: busiest === null ? null :
	    Math.round(busiest * 10) / 10 }) + '\n');
}

async function spread(n, conc) {
	const counts = {};
	let errors = 0, next = 0;
	const lane = async () => {
		while (next < n) {
			next++;
			const { pid } = await ask(true, false);
			if (pid === null)
				errors++;
			else
				counts[pid] = (counts[pid] || 0) + 1;
		}
	};
	await Promise.all(Array.from({ length: conc }, lane));
	report(counts, errors);
}

async function burst(c, rounds) {
	const counts = {};
	let errors = 0;
	for (let r = 0; r < rounds; r++) {
		const res = await Promise.all(Array.from({ length: c },
		    () => ask(false, true)));
		for (const { pid, sock } of res) {
			if (pid === null)
				errors++;
			else
				counts[pid] = (counts[pid] || 0) + 1;
			sock.destroy();
		}
		await new Promise((ok) => setTimeout(ok, 50));
	}
	report(counts, errors);
}

async function wait(ms) {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		const { pid } = await ask(true, false);
		if (pid !== null)
			return 0;
		await new Promise((ok) => setTimeout(ok, 50));
	}
	return 1;
}

// One request on a new connection, read to the end: null if the whole reply
// came, else what went wrong.
function askStrict() {
	return new Promise((resolve) => {
		const sock = net.connect({ host, port });
		const chunks = [];
		let done = false;
		const finish = (err) => {
			if (done)
				return;
			done = true;
			sock.destroy();
			resolve(err);
		};
		sock.setTimeout(10000, () => finish('timeout'));
		sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: b\r\n' +
		    'Connection: close\r\n\r\n'));
		sock.on('data', (d) => chunks.push(d));
		sock.on('error', (e) => finish(e.code || 'error'));
		sock.on('end', () => {
			const r = Buffer.concat(chunks).toString('latin1');
			const head = r.indexOf('\r\n\r\n');
			if (head === -1)
				return finish(r.length ? 'truncated head' : 'empty reply');
			if (!/^HTTP\/1\.[01] 200 /.test(r))
				return finish('status ' + r.slice(9, 12));
			const m = /\r\ncontent-length: *(\d+)/i.exec(r.slice(0, head));
			const body = r.slice(head + 4);
			if (m ? body.length !== Number(m[1]) : !/^\d+\n$/.test(body))
				return finish('truncated body');
			finish(null);
		});
	});
}

async function load(secs, conc, rate) {
	const gap = conc * 1000 / rate;
	let end = Date.now() + secs * 1000;
	// SIGTERM ends the load early: each lane finishes its request.
	process.on('SIGTERM', () => { end = 0; });
	const errors = {};
	let ok = 0, failed = 0;
	const lane = async () => {
		while (Date.now() < end) {
			const t0 = Date.now();
			const err = await askStrict();
			if (err === null)
				ok++;
			else {
				failed++;
				errors[err] = (errors[err] || 0) + 1;
				process.stderr.write(`${new Date().toISOString()} ` +
				    `httpc load: ${err}\n`);
			}
			const wait = gap - (Date.now() - t0);
			if (wait > 0)
				await new Promise((r) => setTimeout(r, wait));
		}
	};
	await Promise.all(Array.from({ length: conc }, lane));
	process.stdout.write(JSON.stringify({ ok, failed, errors }) + '\n');
}

(async () => {
	if (mode === 'wait')
		process.exitCode = await wait(Number(a1) || 10000);
	else if (mode === 'spread')
		await spread(Number(a1) || 1000, Number(a2) || 16);
	else if (mode === 'burst')
		await burst(Number(a1) || 64, Number(a2) || 10);
	else if (mode === 'load')
		await load(Number(a1) || 10, Number(a2) || 4,
		    Number(process.argv[6]) || 200);
	else {
		process.stderr.write('usage: httpc.js wait|spread|burst|load PORT ...\n');
		process.exitCode = 2;
	}
})();
