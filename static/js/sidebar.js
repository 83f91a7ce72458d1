// Sidebar bootstrap: registers the WeCom JS-SDK once with signatures from our server, then asks
// the client which chat the sidebar sits next to. Outside WeCom (an ordinary browser, demo mode)
// the SDK is absent and the page says so instead of failing.
(function () {
  'use strict';
  var status = document.getElementById('wecom-status');
  var contextText = document.getElementById('context-text');
  var booted = false;

  function say(el, text) { if (el) { el.textContent = text; } }

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

  function boot() {
    if (booted) { return; }
    booted = true;
    if (!window.ww) {
      say(status, '未在企业微信中打开：可浏览资料，发送到聊天不可用');
      return;
    }
    signatures().then(function (cfg) {
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
      return window.ww.getContext();
    }).then(function (ctx) {
      if (!ctx) { return; }
      say(status, '已连接企业微信');
      if (ctx.entry === 'single_chat_tools' || ctx.entry === 'contact_profile') {
        return window.ww.getCurExternalContact().then(function (r) { say(contextText, '单聊客户：' + r.userId); });
      }
      if (ctx.entry === 'group_chat_tools') {
        return window.ww.getCurExternalChat().then(function (r) { say(contextText, '客户群：' + r.chatId); });
      }
      say(contextText, '请从与客户的聊天工具栏打开');
    }).catch(function (e) {
      say(status, '企业微信连接失败：' + (e && e.message ? e.message : e));
    });
  }

  window.zhangfangBoot = boot;
  // If the SDK script fails to load (no network, ordinary browser), boot without it.
  window.addEventListener('load', function () { setTimeout(boot, 0); });
})();
