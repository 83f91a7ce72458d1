// Peer for the callback load test: Tencent's @wecom/crypto in a Node http server, run as a
// `cluster` with one worker per core. It verifies and decrypts each event like our endpoint does,
// and stores nothing.
// Usage: node node_server.js PORT TOKEN ENCODING_AES_KEY CORP_ID
'use strict';
const cluster = require('cluster');
const http = require('http');
const os = require('os');
const { getSignature, decrypt } = require('@wecom/crypto');

const [port, token, key, corpId] = process.argv.slice(2);
const ENCRYPT = /<Encrypt><!\[CDATA\[([^\]]*)\]\]><\/Encrypt>/;

if (cluster.isPrimary) {
  const workers = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code) => {
    console.error(`worker ${worker.process.pid} exited with ${code}`);
  });
} else {
  http
    .createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      const q = url.searchParams;
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const match = ENCRYPT.exec(Buffer.concat(chunks).toString('utf8'));
        if (!match) {
          res.writeHead(400).end('{"errcode":-40002}');
          return;
        }
        const encrypt = match[1];
        if (getSignature(token, q.get('timestamp'), q.get('nonce'), encrypt) !== q.get('msg_signature')) {
          res.writeHead(401).end('{"errcode":-40001}');
          return;
        }
        try {
          const { id } = decrypt(key, encrypt);
          if (id !== corpId) {
            res.writeHead(400).end('{"errcode":-40005}');
            return;
          }
        } catch (e) {
          res.writeHead(400).end('{"errcode":-40007}');
          return;
        }
        res.writeHead(200).end();
      });
    })
    .listen(Number(port), '127.0.0.1');
}
