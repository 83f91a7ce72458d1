// The binding form's code button: after a code is sent it counts down until another may be
// asked for, so nobody presses it again and meets "please wait" from the server.
(function () {
  var button = document.getElementById("send-code");
  if (!button) return;
  var left = parseInt(button.getAttribute("data-resend-in") || "0", 10);
  if (!(left > 0)) return;
  var label = button.textContent;
  button.disabled = true;
  function tick() {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.textContent = left + "秒后可重新获取";
    left -= 1;
    setTimeout(tick, 1000);
  }
  tick();
})();
