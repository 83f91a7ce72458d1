// The one place that talks to WeCom's JS-SDK (ww). It registers once per visit with signatures
// from our server (/wecom/jssdk/sign) and offers three calls: the current chat, and sending a
// text into it. Outside WeCom, in demo mode, the "current chat" comes from the page's picker and
// sent messages go to the preview panel and the sandbox's message log instead.
(function () {
  'use strict';
  var registered = null;

  function demo() {
    var app = document.getElementById('app');
    return !!app && app.getAttribute('data-demo') === 'true';
  }

  function hasSdk() { return !!(window.ww && window.ww.register); }

  function signatures() {
    return fetch('/wecom/jssdk/sign', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: location.href.split('#')[0] })
    }).then(function (res) {
      if (!res.ok) { throw new Error('签名失败 ' + res.status); }
      return res.json();
    });
  }

  // One signature serves the whole visit.
  function register() {
    if (registered) { return registered; }
    registered = signatures().then(function (cfg) {
      window.ww.register({
        corpId: cfg.corp_id,
        agentId: Number(cfg.agent_id),
        jsApiList: ['getContext', 'getCurExternalContact', 'getCurExternalChat', 'sendChatMessage'],
        getConfigSignature: function () {
          return { timestamp: cfg.config.timestamp, nonceStr: cfg.config.nonce_str, signature: cfg.config.signature };
        },
        getAgentConfigSignature: function () {
          return { timestamp: cfg.agent_config.timestamp, nonceStr: cfg.agent_config.nonce_str, signature: cfg.agent_config.signature };
        }
      });
      return cfg;
    });
    return registered;
  }

  function demoChat() {
    var picker = document.getElementById('demo-chat');
    var value = picker ? picker.value : '';
    if (!value) { return null; }
    var i = value.indexOf(':');
    return { type: value.slice(0, i), key: value.slice(i + 1) };
  }

  // Resolves to {type: 'contact'|'group', key} or null (not opened from a chat toolbar).
  function currentChat() {
    if (!hasSdk()) {
      return Promise.resolve(demo() ? demoChat() : null);
    }
    return register().then(function () { return window.ww.getContext(); }).then(function (ctx) {
      var entry = ctx && ctx.entry;
      if (entry === 'single_chat_tools' || entry === 'contact_profile') {
        return window.ww.getCurExternalContact().then(function (r) { return { type: 'contact', key: r.userId }; });
      }
      if (entry === 'group_chat_tools') {
        return window.ww.getCurExternalChat().then(function (r) { return { type: 'group', key: r.chatId }; });
      }
      return null;
    });
  }

  // The chat as the demo picker names it ("单聊 · 杨博"), not its WeCom id.
  function demoChatLabel(chat) {
    if (!chat) { return ''; }
    var picker = document.getElementById('demo-chat');
    var options = picker ? picker.options : [];
    for (var i = 0; i < options.length; i++) {
      if (options[i].value === chat.type + ':' + chat.key) { return options[i].textContent; }
    }
    return (chat.type === 'group' ? '群 ' : '单聊 ') + chat.key;
  }

  function demoSend(text, chat) {
    var list = document.getElementById('demo-sent');
    if (list) {
      var li = document.createElement('li');
      var meta = document.createElement('p');
      meta.className = 'muted';
      meta.textContent = demoChatLabel(chat);
      var body = document.createElement('p');
      body.className = 'text';
      body.textContent = text;
      li.appendChild(meta);
      li.appendChild(body);
      list.insertBefore(li, list.firstChild);
    }
    return fetch('/sandbox/_sandbox/chat-messages', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_type: chat ? chat.type : '', chat_key: chat ? chat.key : '', msgtype: 'text', content: text })
    }).catch(function () { /* the preview panel already shows it */ });
  }

  // The demo's sendChatMessage for an image or file: shown in the preview panel (an image as a
  // picture from `view`) and logged by the sandbox.
  function demoSendMedia(msgtype, mediaId, chat, info) {
    var list = document.getElementById('demo-sent');
    if (list) {
      var li = document.createElement('li');
      var meta = document.createElement('p');
      meta.className = 'muted';
      meta.textContent = demoChatLabel(chat) + (msgtype === 'image' ? ' · 图片' : ' · 文件');
      li.appendChild(meta);
      if (msgtype === 'image' && info && info.view) {
        var img = document.createElement('img');
        img.src = info.view;
        img.alt = info.filename || '图片';
        img.className = 'sent-image';
        li.appendChild(img);
      } else {
        var file = document.createElement('p');
        file.className = 'text';
        file.textContent = '📄 ' + (info && info.filename ? info.filename : mediaId);
        li.appendChild(file);
      }
      list.insertBefore(li, list.firstChild);
    }
    return fetch('/sandbox/_sandbox/chat-messages', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_type: chat ? chat.type : '', chat_key: chat ? chat.key : '', msgtype: msgtype, content: mediaId })
    }).catch(function () { /* the preview panel already shows it */ });
  }

  // Puts an uploaded image or file (`msgtype` image|file, a WeCom media id) into the chat.
  function sendMedia(msgtype, mediaId, chat, info) {
    if (!hasSdk()) {
      if (!demo()) { return Promise.reject(new Error('请在企业微信中打开后发送')); }
      return demoSendMedia(msgtype, mediaId, chat, info);
    }
    return register().then(function () {
      var message = { msgtype: msgtype, enterChat: true };
      message[msgtype] = { mediaid: mediaId };
      return window.ww.sendChatMessage(message);
    });
  }

  // Puts a text into the current chat; resolves when WeCom (or the demo) accepted it.
  function sendText(text, chat) {
    if (!hasSdk()) {
      if (!demo()) { return Promise.reject(new Error('请在企业微信中打开后发送')); }
      return demoSend(text, chat);
    }
    return register().then(function () {
      return window.ww.sendChatMessage({ msgtype: 'text', enterChat: true, text: { content: text } });
    });
  }

  window.ZhangfangBridge = { hasSdk: hasSdk, demo: demo, register: register, currentChat: currentChat, sendText: sendText, sendMedia: sendMedia };
})();
