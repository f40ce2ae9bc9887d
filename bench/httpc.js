// A tiny HTTP/1.1 client for the benchmark (Node >= 18, no dependencies).
// Every answer of bench/app.js is the pid of the worker that served it.
//   node httpc.js wait PORT TIMEOUT_MS    until GET / answers 200
//   node httpc.js spread PORT N CONC      N new connections (Connection:
//                                         close), CONC at a time
//   node httpc.js burst PORT C ROUNDS     ROUNDS bursts of C keep-alive
//                                         connections opened at once
// spread and burst print one JSON line: connections per worker pid, the
// busiest worker's share in percent, and errors.
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
			const m = /^HTTP\/1\.1 200[^]*?\r\n\r\n(\d+)\n/.exec(buf);
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

(async () => {
	if (mode === 'wait')
		process.exitCode = await wait(Number(a1) || 10000);
	else if (mode === 'spread')
		await spread(Number(a1) || 1000, Number(a2) || 16);
	else if (mode === 'burst')
		await burst(Number(a1) || 64, Number(a2) || 10);
	else {
		process.stderr.write('usage: httpc.js wait|spread|burst PORT ...\n');
		process.exitCode = 2;
	}
})();
