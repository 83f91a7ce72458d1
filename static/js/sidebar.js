// The sidebar shell: asks the bridge for the current chat and loads that chat's panel when it
// differs from the one the server painted; sends composed texts through the bridge and logs them.
(function () {
  'use strict';
  var bridge = window.ZhangfangBridge;
  var status = document.getElementById('wecom-status');
  var booted = false;

  function say(text) { if (status) { status.textContent = text; } }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function panel() { return document.getElementById('panel'); }

  function showChat(chat) {
    var p = panel();
    if (!p || !chat || !window.htmx) { return; }
    var root = document.getElementById('panel-root');
    var shownType = root ? root.getAttribute('data-chat-type') : p.getAttribute('data-chat-type');
    var shownKey = root ? root.getAttribute('data-chat-key') : p.getAttribute('data-chat-key');
    if (shownType === chat.type && shownKey === chat.key) { return; }
    window.htmx.ajax('GET', '/sidebar/' + chat.type + '/' + encodeURIComponent(chat.key), { target: '#panel' });
  }

  function boot() {
    if (booted || !bridge) { return; }
    booted = true;
    var picker = document.getElementById('demo-chat');
    if (picker) {
      picker.addEventListener('change', function () {
        bridge.currentChat().then(showChat);
      });
    }
    if (!bridge.hasSdk() && !bridge.demo()) {
      say('未在企业微信中打开：可浏览资料，发送到聊天不可用');
      return;
    }
    bridge.currentChat().then(function (chat) {
      if (bridge.hasSdk()) { say(chat ? '已连接企业微信' : '请从与客户的聊天工具栏打开'); }
      showChat(chat);
    }).catch(function (e) {
      say('企业微信连接失败：' + (e && e.message ? e.message : e));
    });
  }

  // Sending: the composer's form puts the text into the chat, then records the send.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form || !form.hasAttribute || !form.hasAttribute('data-send-form') || !bridge) { return; }
    ev.preventDefault();
    var result = form.querySelector('.send-result');
    var button = form.querySelector('[data-send]');
    var text = form.querySelector('textarea[name="content"]').value;
    var chat = { type: form.querySelector('[name="chat_type"]').value, key: form.querySelector('[name="chat_key"]').value };
    if (button) { button.disabled = true; }
    bridge.sendText(text, chat).then(function () {
      return fetch('/sidebar/sends', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrf(), 'HX-Request': 'true' },
        body: new URLSearchParams(new FormData(form))
      });
    }).then(function (res) {
      return res.text().then(function (html) {
        if (!res.ok) { throw new Error('已发送，但记录失败（' + res.status + '）'); }
        if (result) { result.innerHTML = html; }
      });
    }).catch(function (e) {
      if (result) { result.textContent = '发送失败：' + (e && e.message ? e.message : e); }
    }).then(function () { if (button) { button.disabled = false; } });
  });

  window.zhangfangBoot = boot;
  if (document.readyState === 'complete') { setTimeout(boot, 0); }
  else { window.addEventListener('load', function () { setTimeout(boot, 0); }); }
})();
