// The seller's cockpit: listens on /ws/selling/ and refreshes the live part of the page when a
// chat changes (docs/PROTOCOL.md); the seller's moves go over the same socket.
(function () {
  "use strict";
  var root = document.getElementById("cockpit");
  if (!root) return;
  var body = document.getElementById("cockpit-body");
  var conn = document.getElementById("cockpit-conn");
  var errorBox = document.getElementById("cockpit-error");
  var notice = document.getElementById("cockpit-notice");
  var ws = null;
  var retries = 0;
  var refreshTimer = null;
  var typingTimers = {};
  var afterCancel = null; // listing id whose reservation was just cancelled
  var TYPING_MS = 4000;

  function fmtWon(n) { return Number(n).toLocaleString("ko-KR") + "원"; }

  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }
  function showNotice(text) { notice.textContent = text; notice.hidden = !text; }

  // Many events come in bursts (a reply is a message and a state): one refresh for the burst.
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 250);
  }

  function refresh() {
    fetch(root.dataset.partUrl, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        body.innerHTML = html; // server-rendered by Django's escaping templates
        Object.keys(typingTimers).forEach(showBuyerTyping);
        if (afterCancel) offerBestAfterCancel(afterCancel);
      })
      .catch(function () { showError("목록을 새로 불러오지 못했어요. 잠시 후 다시 시도해 주세요."); });
  }

  // After a cancelled reservation the best standing offer is the one to take at once.
  function offerBestAfterCancel(listingId) {
    var group = body.querySelector('[data-listing="' + listingId + '"]');
    if (!group || group.dataset.status !== "on_sale") return;
    afterCancel = null;
    var best = group.querySelector(".cockpit__best--top");
    if (best) {
      best.classList.add("cockpit__best--now");
      best.scrollIntoView({block: "center"});
      showNotice("예약을 취소했어요. 가장 높은 대기 제안을 바로 수락할 수 있어요.");
    } else {
      showNotice("예약을 취소했어요. 대기 중인 제안은 없어요.");
    }
  }

  function showBuyerTyping(sessionId) {
    var row = body.querySelector('[data-session="' + sessionId + '"] [data-typing]');
    if (!row) return;
    if (typingTimers[sessionId]) { row.hidden = false; if (!row.textContent) row.textContent = "구매자 입력 중…"; }
  }

  function buyerTyping(sessionId) {
    clearTimeout(typingTimers[sessionId]);
    typingTimers[sessionId] = setTimeout(function () {
      delete typingTimers[sessionId];
      var row = body.querySelector('[data-session="' + sessionId + '"] [data-typing]');
      if (row && row.textContent === "구매자 입력 중…") { row.hidden = true; row.textContent = ""; }
    }, TYPING_MS);
    showBuyerTyping(sessionId);
  }

  var baseTitle = document.title;
  var unseen = 0;
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { unseen = 0; document.title = baseTitle; }
  });

  function notify(row) {
    if (document.hidden && row.unread && row.last.role === "buyer") {
      unseen += 1;
      document.title = "(" + unseen + ") 새 메시지 · " + baseTitle;
    }
    // The browser's notifications, where the seller allowed them, for chats they are not watching.
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    if (row.unread) new Notification(row.listing.title, {body: row.buyer + ": " + row.last.text, tag: "chat-" + row.id});
  }

  function onEvent(ev) {
    switch (ev.type) {
      case "cockpit": scheduleRefresh(); break;
      case "row": scheduleRefresh(); notify(ev.row); break;
      case "buyer_typing": buyerTyping(ev.session); break;
      case "error": showError(ev.message); break;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + root.dataset.wsPath);
    ws.onopen = function () { retries = 0; conn.hidden = true; };
    ws.onmessage = function (e) { try { onEvent(JSON.parse(e.data)); } catch (err) { console.error(err); } };
    ws.onclose = function (e) {
      conn.hidden = false;
      if (e.code === 4403 || e.code === 4401) { conn.textContent = "접속할 수 없어요. 다시 로그인해 주세요."; return; }
      conn.textContent = "연결이 끊겼어요. 다시 연결하는 중…";
      retries += 1;
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, retries)));
    };
  }

  function send(payload) {
    if (!ws || ws.readyState !== WebSocket.OPEN) { showError("연결이 끊겨 있어요. 잠시 후 다시 시도해 주세요."); return; }
    showError("");
    ws.send(JSON.stringify(payload));
  }

  body.addEventListener("click", function (e) {
    var button = e.target.closest("[data-action]");
    if (!button) return;
    var action = button.dataset.action;
    if (action === "cancel") {
      if (!window.confirm("예약을 취소할까요? 합의한 구매자와의 거래가 취소되고, 다른 구매자분들과 협상이 다시 열려요.")) return;
      afterCancel = button.dataset.listing;
      send({type: "cancel", listing: parseInt(button.dataset.listing, 10)});
      return;
    }
    if (action === "accept" && !window.confirm(
      button.dataset.buyer + "님의 " + fmtWon(button.dataset.price) + " 제안을 수락할까요? 상품이 예약중이 되고 다른 구매자분들께 알려요.")) return;
    showNotice("");
    send({type: action, session: parseInt(button.dataset.session, 10)});
  });

  if ("Notification" in window && Notification.permission === "default") {
    var ask = document.createElement("button");
    ask.type = "button";
    ask.className = "btn btn--ghost btn--sm";
    ask.textContent = "새 메시지 알림 받기";
    ask.addEventListener("click", function () { Notification.requestPermission().then(function () { ask.remove(); }); });
    root.querySelector(".cockpit__head").appendChild(ask);
  }

  connect();
})();
