// The benchmark's HTTP app, unmodified for every runner (clm, PM2, bare):
// listen(PORT) and answer every request with this worker's pid, so a client
// can count how connections spread over the workers.
'use strict';
const http = require('http');

const body = `${process.pid}\n`;
http.createServer((req, res) => {
	res.setHeader('Content-Type', 'text/plain');
	res.end(body);
}).listen(Number(process.env.PORT) || 3000, process.env.HOST || '127.0.0.1');
