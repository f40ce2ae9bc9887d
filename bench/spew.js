// Log throughput: once the file SPEW_GO exists, write SPEW_BYTES bytes of
// 100-byte lines to stdout as fast as stdout takes them (honouring
// backpressure), then stay up idle (or exit with SPEW_EXIT=1) so that no
// supervisor restarts it.
'use strict';
const fs = require('fs');

const total = Number(process.env.SPEW_BYTES) || 50 * 1024 * 1024;
const go = process.env.SPEW_GO;
const line = 'x'.repeat(99) + '\n';
const chunkLines = 640;
const chunk = line.repeat(chunkLines);
let left = Math.floor(total / 100);

function write() {
	while (left > 0) {
		const n = Math.min(left, chunkLines);
		left -= n;
		const ok = process.stdout.write(n === chunkLines ?
		    chunk : line.repeat(n));
		if (!ok) {
			process.stdout.once('drain', write);
			return;
		}
	}
	if (process.env.SPEW_EXIT === '1')
		process.exit(0);
	setInterval(() => {}, 1 << 30);
}

function wait() {
	if (!go || fs.existsSync(go))
		write();
	else
		setTimeout(wait, 5);
}
wait();
