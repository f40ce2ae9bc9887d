// An unmodified Node.js HTTP app: it knows nothing about clm. It listens on
// PORT (or 3000) and answers every request with the pid of the worker that
// served it.
'use strict';
const http = require('http');

const port = Number(process.env.PORT) || 3000;
http.createServer((req, res) => {
	res.setHeader('Content-Type', 'text/plain');
	res.end(`hello from pid ${process.pid}\n`);
}).listen(port, () => {
	console.log(`hello: pid ${process.pid} listening on ${port}`);
});
