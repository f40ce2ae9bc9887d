// The soak's log flooder: FLOOD_BPS bytes a second (default 1 MiB) of
// numbered 100-byte lines on stdout, every 50 ms, until stopped.
'use strict';
const bps = Number(process.env.FLOOD_BPS) || 1048576;
const per = Math.max(1, Math.round(bps / 20 / 100));	// lines a tick
let seq = 0;
setInterval(() => {
	let s = '';
	for (let i = 0; i < per; i++, seq++) {
		const head = `flood ${process.pid} ${seq} `;
		s += head + 'x'.repeat(99 - head.length) + '\n';
	}
	process.stdout.write(s);
}, 50);
