// Writes N distinct, correctly signed and encrypted WeCom callback requests, one per line:
// "<path?query>\t<xml body>". Uses Tencent's @wecom/crypto, an implementation independent of ours.
// Usage: node make_events.js N TOKEN ENCODING_AES_KEY CORP_ID OUT_FILE
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { getSignature, encrypt } = require('@wecom/crypto');

const [n, token, key, corpId, out] = process.argv.slice(2);
const changes = ['add_external_contact', 'edit_external_contact', 'del_follow_user'];
const lines = [];
for (let i = 0; i < Number(n); i++) {
  const createTime = 1764000000 + Math.floor(i / 7);
  const external = 'wm' + crypto.createHash('sha1').update(String(i)).digest('hex').slice(0, 30);
  const change = changes[i % changes.length];
  const msg =
    `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
    `<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[${change}]]></ChangeType>` +
    `<UserID><![CDATA[user${i % 150}]]></UserID><ExternalUserID><![CDATA[${external}]]></ExternalUserID>` +
    `<State><![CDATA[]]></State><WelcomeCode><![CDATA[WELCOME${i}]]></WelcomeCode></xml>`;
  const enc = encrypt(key, msg, corpId);
  const timestamp = String(createTime);
  const nonce = String(100000000 + i);
  const sig = getSignature(token, timestamp, nonce, enc);
  const body =
    `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt>` +
    `<AgentID><![CDATA[1000002]]></AgentID></xml>`;
  lines.push(`/wecom/callback/${corpId}?msg_signature=${sig}&timestamp=${timestamp}&nonce=${nonce}\t${body}`);
}
fs.writeFileSync(out, lines.join('\n') + '\n');
