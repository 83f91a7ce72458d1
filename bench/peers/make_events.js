// Writes N distinct, correctly signed and encrypted WeCom callback requests, one per line:
// "<path?query>\t<xml body>". Uses Tencent's @wecom/crypto, an implementation independent of ours.
// Each decrypted event is about 1 KiB, like a real change_external_contact event with its fields.
//
// With RETRY_PERCENT > 0, that share of the lines are retries, as WeCom sends them: an event sent
// earlier in the same thread's share, encrypted again with a new random prefix and nonce (so the
// server must recognise it by its content and store it once). Lines are laid out in THREADS equal
// shares, one per load-generator thread, so every thread walks its own share once.
//
// Usage: node make_events.js N TOKEN ENCODING_AES_KEY CORP_ID OUT_FILE TIMESTAMP [RETRY_PERCENT] [THREADS]
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { getSignature, encrypt } = require('@wecom/crypto');

const [n, token, key, corpId, out, timestamp, retryArg, threadsArg] = process.argv.slice(2);
const total = Number(n);
const retryPercent = Number(retryArg || 0);
const threads = Number(threadsArg || 1);
const changes = ['add_external_contact', 'edit_external_contact', 'del_follow_user'];
// Pads the event to about 1 KiB with a realistic-looking field.
const filler = 'x'.repeat(470);

function message(i) {
  const createTime = Number(timestamp) - 60 + (i % 60);
  const external = 'wm' + crypto.createHash('sha1').update(String(i)).digest('hex').slice(0, 30);
  const change = changes[i % changes.length];
  return (
    `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
    `<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[${change}]]></ChangeType>` +
    `<UserID><![CDATA[user${i % 150}]]></UserID><ExternalUserID><![CDATA[${external}]]></ExternalUserID>` +
    `<State><![CDATA[channel-${i % 40}]]></State><WelcomeCode><![CDATA[WELCOME${i}${filler}]]></WelcomeCode>` +
    `<Source><![CDATA[benchmark]]></Source></xml>`
  );
}

let nonce = 100000000;
function line(msg) {
  nonce += 1;
  const enc = encrypt(key, msg, corpId);
  const sig = getSignature(token, timestamp, String(nonce), enc);
  const body =
    `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt>` +
    `<AgentID><![CDATA[1000002]]></AgentID></xml>`;
  return `/wecom/callback/${corpId}?msg_signature=${sig}&timestamp=${timestamp}&nonce=${nonce}\t${body}`;
}

const fd = fs.openSync(out, 'w');
let distinct = 0;
let retries = 0;
for (let t = 0; t < threads; t++) {
  const share = Math.floor(total / threads) + (t < total % threads ? 1 : 0);
  const sent = [];
  const lines = [];
  for (let j = 0; j < share; j++) {
    // Every line is a retry with probability RETRY_PERCENT, once there is something to retry.
    if (retryPercent > 0 && sent.length > 0 && Math.random() * 100 < retryPercent) {
      // WeCom retries after a few seconds: pick one of the recent events of this share.
      const back = 1 + Math.floor(Math.random() * Math.min(sent.length, 5000));
      lines.push(line(message(sent[sent.length - back])));
      retries += 1;
    } else {
      sent.push(distinct);
      lines.push(line(message(distinct)));
      distinct += 1;
    }
  }
  fs.writeSync(fd, lines.join('\n') + '\n');
}
fs.closeSync(fd);
console.log(`${total} requests: ${distinct} distinct events, ${retries} retries`);
