// Peer for the callback load test: Tencent's @wecom/crypto in a plain Node http server.
// It verifies and decrypts each event like our endpoint does, and stores nothing.
// Usage: node node_server.js PORT TOKEN ENCODING_AES_KEY CORP_ID
'use strict';
const http = require('http');
const { getSignature, decrypt } = require('@wecom/crypto');

const [port, token, key, corpId] = process.argv.slice(2);
const ENCRYPT = /<Encrypt><!\[CDATA\[([^\]]*)\]\]><\/Encrypt>/;

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
