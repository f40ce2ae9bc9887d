// The bare limit: no supervisor in the data path. A node parent binds one
// listening socket and hands it to WORKERS children (cluster's SCHED_NONE:
// the primary creates the handle and sends it; each child accepts on it
// itself, so the kernel distributes accept(), as under clm). The children
// run bench/app.js unchanged. A child that dies is forked again after 100 ms;
// the parent gives up when children keep dying (e.g. the port is taken).
'use strict';
const cluster = require('cluster');
const path = require('path');

cluster.schedulingPolicy = cluster.SCHED_NONE;
cluster.setupPrimary({ exec: path.join(__dirname, 'app.js') });

const n = Number(process.env.WORKERS) || 2;
let stopping = false;
let quickDeaths = 0;
const fork = () => {
	const w = cluster.fork();
	w.bornAt = Date.now();
};
for (let i = 0; i < n; i++)
	fork();
cluster.on('exit', (w) => {
	if (stopping)
		return;
	quickDeaths = Date.now() - w.bornAt < 1000 ? quickDeaths + 1 : 0;
	if (quickDeaths > 5) {
		console.error('bare.js: workers keep dying, giving up');
		stop();
		return;
	}
	setTimeout(fork, 100);
});

function stop() {
	stopping = true;
	for (const id in cluster.workers)
		cluster.workers[id].process.kill('SIGKILL');
	setTimeout(() => process.exit(0), 200);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
