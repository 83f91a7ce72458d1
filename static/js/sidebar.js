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
    p.setAttribute('data-wanted-type', chat.type);
    p.setAttribute('data-wanted-key', chat.key);
    window.htmx.ajax('GET', '/sidebar/' + chat.type + '/' + encodeURIComponent(chat.key), { target: '#panel' });
  }

  // A chat whose panel cannot be shown (its customer is a colleague's, this employee is not in
  // it, the network failed): the message takes the panel's place, so the previous chat's
  // figures are not left on show as if they were this chat's.
  function showPanelError(p, message) {
    var card = document.createElement('section');
    card.className = 'card';
    card.id = 'context';
    var title = document.createElement('h2');
    title.textContent = '当前会话';
    var text = document.createElement('p');
    text.className = 'error';
    text.id = 'context-text';
    text.setAttribute('role', 'alert');
    text.textContent = message;
    card.appendChild(title);
    card.appendChild(text);
    p.innerHTML = '';
    p.appendChild(card);
    p.setAttribute('data-chat-type', p.getAttribute('data-wanted-type') || '');
    p.setAttribute('data-chat-key', p.getAttribute('data-wanted-key') || '');
  }

  function isPanel(elt) { return !!elt && elt.id === 'panel'; }

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

  // Sending an image or file the server makes (a receipt, a collection detail, a report): ask
  // for its WeCom media id, put it into the chat, then record the send.
  document.addEventListener('click', function (ev) {
    var button = ev.target && ev.target.closest ? ev.target.closest('[data-send-media]') : null;
    if (!button || !bridge) { return; }
    ev.preventDefault();
    var wrap = button.parentNode;
    var result = wrap ? wrap.querySelector('.send-result') : null;
    var msgtype = button.getAttribute('data-msgtype');
    var chat = { type: button.getAttribute('data-chat-type'), key: button.getAttribute('data-chat-key') };
    var url = button.getAttribute('data-send-media');
    button.disabled = true;
    if (result) { result.textContent = '正在生成…'; }
    fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (body) {
          if (!res.ok) { throw new Error(body && body.message ? body.message : '生成失败（' + res.status + '）'); }
          return body;
        });
      })
      .then(function (media) {
        var view = msgtype === 'image' ? url.replace(/\/media$/, '.png') : null;
        return bridge.sendMedia(msgtype, media.media_id, chat, { filename: media.filename, view: view }).then(function () {
          var form = new URLSearchParams();
          form.set('csrf', csrf());
          form.set('customer_id', button.getAttribute('data-customer-id'));
          form.set('chat_type', chat.type);
          form.set('chat_key', chat.key);
          form.set('scene', button.getAttribute('data-scene'));
          form.set('msgtype', msgtype);
          form.set('content', media.filename);
          return fetch('/sidebar/sends', {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'X-CSRF-Token': csrf(), 'HX-Request': 'true' },
            body: form
          });
        });
      })
      .then(function (res) {
        if (!res.ok) { throw new Error('已发送，但记录失败（' + res.status + '）'); }
        if (result) { result.textContent = '已发送'; }
      })
      .catch(function (e) {
        if (result) { result.textContent = '发送失败：' + (e && e.message ? e.message : e); }
      })
      .then(function () { button.disabled = false; });
  });

  // A refused form answers 4xx. A section that drew its own error (beside what was typed) is
  // swapped in like any answer; for a bare error the message is shown beside the form.
  function showError(elt, message) {
    var form = elt && elt.closest ? (elt.closest('form') || elt) : null;
    if (!form) { return; }
    var note = form.querySelector(':scope > .htmx-error');
    if (!note) {
      note = document.createElement('p');
      note.className = 'error htmx-error';
      note.setAttribute('role', 'alert');
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = message;
    if (note.scrollIntoView) { note.scrollIntoView({ block: 'center' }); }
  }

  document.addEventListener('htmx:beforeSwap', function (ev) {
    var xhr = ev.detail && ev.detail.xhr;
    if (!xhr || xhr.status < 400) { return; }
    var type = xhr.getResponseHeader('content-type') || '';
    if (xhr.status < 500 && type.indexOf('text/html') === 0) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
      return;
    }
    var message = '操作失败（' + xhr.status + '），请稍后再试';
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.message) { message = body.message; }
    } catch (e) { /* not JSON */ }
    if (isPanel(ev.detail.target)) { showPanelError(ev.detail.target, message); return; }
    showError(ev.detail.requestConfig ? ev.detail.requestConfig.elt : null, message);
  });

  document.addEventListener('htmx:sendError', function (ev) {
    var message = '网络连接失败，请检查网络后重试';
    if (ev.detail && isPanel(ev.detail.target)) { showPanelError(ev.detail.target, message); return; }
    showError(ev.detail ? ev.detail.elt : null, message);
  });

  // A composed message opens below the section: bring it into view.
  document.addEventListener('htmx:afterSwap', function (ev) {
    var target = ev.detail && ev.detail.target;
    if (target && target.id === 'composer' && target.scrollIntoView) { target.scrollIntoView({ block: 'start' }); }
  });

  window.zhangfangBoot = boot;
  if (document.readyState === 'complete') { setTimeout(boot, 0); }
  else { window.addEventListener('load', function () { setTimeout(boot, 0); }); }
})();
