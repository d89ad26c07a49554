// Simulator page: every message goes through /simulator/send → the real /wechat webhook.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var input = document.getElementById("text");
  var sendBtn = document.getElementById("send");
  var mode = document.getElementById("mode");
  var user = localStorage.getItem("sim-user");
  if (!user) {
    user = "sim-" + Math.random().toString(36).slice(2, 12);
    localStorage.setItem("sim-user", user);
  }
  var since = 0;

  function add(cls, text) {
    var div = document.createElement("div");
    div.className = cls;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function post(payload, label) {
    if (label) add("bubble me", label);
    sendBtn.disabled = true;
    payload.user = user;
    payload.mode = mode.value;
    return fetch("/simulator/send", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(payload)
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.status !== 200) {
        add("note", "请求被拒绝（HTTP " + data.status + "）：" + (data.note || ""));
      } else if (data.reply) {
        add("bubble bot", data.reply);
      } else {
        add("note", "服务器回复 success（答案稍后以客服消息送达）");
      }
    }).catch(function () {
      add("note", "网络错误，请重试");
    }).then(function () { sendBtn.disabled = false; input.focus(); });
  }

  function send() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    post({text: text}, text);
  }

  // Customer-service messages sent after a `success` reply (read back from the fake WeChat API).
  function poll() {
    fetch("/simulator/messages?user=" + encodeURIComponent(user) + "&since=" + since)
      .then(function (r) { return r.json(); })
      .then(function (data) {
        since = data.next || since;
        (data.messages || []).forEach(function (m) { add("bubble bot late", m); });
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 1500); });
  }

  sendBtn.addEventListener("click", send);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") send(); });
  document.querySelectorAll(".menu button").forEach(function (b) {
    b.addEventListener("click", function () {
      if (b.dataset.event) post({event: b.dataset.event}, "（关注公众号）");
      else post({event: "CLICK", key: b.dataset.key}, "〔菜单〕" + b.textContent);
    });
  });
  // Start reading customer-service messages from now on, not the whole history.
  fetch("/simulator/messages?user=" + encodeURIComponent(user) + "&since=0")
    .then(function (r) { return r.json(); })
    .then(function (d) {
      since = d.next || 0;
      if (!d.fake) {
        add("note", "提示：超时后补发的客服消息不会显示。要看到它们，请运行 python -m bot fake-wechat，" +
            "并设置 WECHAT_API_BASE=http://127.0.0.1:9000 后重启服务。");
      }
    })
    .catch(function () {})
    .then(poll);
})();
