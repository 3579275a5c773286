// Taskboard's page script (bundled by esbuild through plugins/tmpl; no
// inline scripts, so the Content-Security-Policy allows 'self' only).
document.addEventListener("htmx:afterSwap", (ev) => {
  // After a form comes back with errors, put the cursor in the first bad field.
  const bad = ev.detail.elt.querySelector("[aria-invalid=true]");
  if (bad) bad.focus();
});

// Live board: the list reloads when a task changes on any instance. Two
// channels, both reconnecting by themselves after a restart of the server:
// - Server-Sent Events (/api/v1/tasks/events) drive the reloads. An
//   EventSource retries a broken stream and resumes with Last-Event-ID; one
//   the browser gave up on (an HTTP error while the instance restarts) is
//   replaced, with backoff, by a new one that resumes with ?lastEventId=.
//   The server replays what the page missed, so no change is lost. The
//   first stream has no event id to resume from: a change committed after
//   the server rendered the list and before the stream joined the room
//   would reach neither channel, so the list is reloaded once when the
//   first stream opens (from then on the stream delivers every change).
// - A WebSocket (/api/v1/tasks/live) carries the same events; it reloads
//   the list while the stream is down, and is reopened with backoff.
// A reload never throws away a row being edited inline or a row request in
// flight: it waits for them (the list's swap is held back, and done once the
// row is saved or cancelled).
(() => {
  const list = document.getElementById("tasks");
  if (!list || !window.EventSource) return;
  // The page's own changes come back in its htmx responses already: it
  // tags its requests, and skips the events they cause.
  const me = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
  document.addEventListener("htmx:configRequest", (ev) => {
    ev.detail.headers["X-Taskboard-Client"] = me;
  });
  let pending = false;
  const busy = () => !!list.querySelector(".edit-title, .htmx-request");
  const reload = () => {
    if (busy()) {
      pending = true;
      return;
    }
    pending = false;
    document.body.dispatchEvent(new CustomEvent("tasks-changed"));
  };
  document.addEventListener("htmx:beforeSwap", (ev) => {
    if (ev.detail.target === list && busy()) {
      ev.detail.shouldSwap = false;
      pending = true;
    }
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (pending) reload();
  });
  const parse = (text) => {
    try {
      return JSON.parse(text) || {};
    } catch (e) {
      return {};
    }
  };
  // What arrived on which channel (the last 100 stream events as
  // "id op task", socket messages and opens), for the browser tests.
  const live = (window.taskboardLive = { stream: [], streamOpens: 0, socket: 0, socketOpens: 0 });
  // backoff returns the next delay: doubling from first up to 30 s, with
  // jitter so that the pages of a restarted instance do not return at once.
  const backoff = (d, first) => Math.min(d ? d * 2 : first, 30000);
  const jitter = (d) => d / 2 + Math.random() * (d / 2);
  let closing = false;
  let lastId = "";
  let stream = null;
  let streamDelay = 0;
  const openStream = () => {
    if (closing) return;
    const q = lastId ? "?lastEventId=" + encodeURIComponent(lastId) : "";
    stream = new EventSource("/api/v1/tasks/events" + q);
    stream.addEventListener("open", () => {
      streamDelay = 0;
      if (live.streamOpens++ === 0 && !lastId) reload(); // changes since the render
    });
    stream.addEventListener("task", (ev) => {
      if (ev.lastEventId) lastId = ev.lastEventId;
      const data = parse(ev.data);
      live.stream.push(ev.lastEventId + " " + data.op + " " + data.id);
      if (live.stream.length > 100) live.stream.shift();
      if (data.client !== me) reload();
    });
    stream.addEventListener("error", () => {
      if (stream.readyState !== EventSource.CLOSED) return; // the browser retries
      streamDelay = backoff(streamDelay, 1000);
      setTimeout(openStream, jitter(streamDelay));
    });
  };
  let socket = null;
  let socketDelay = 0;
  const openSocket = () => {
    if (closing || !window.WebSocket) return;
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/tasks/live");
    socket.addEventListener("open", () => {
      socketDelay = 0;
      live.socketOpens++;
    });
    socket.addEventListener("message", (ev) => {
      live.socket++;
      // The stream reloads when it is up; the socket stands in while not.
      if (stream && stream.readyState === EventSource.OPEN) return;
      if (parse(ev.data).client !== me) reload();
    });
    socket.addEventListener("close", () => {
      socketDelay = backoff(socketDelay, 500);
      setTimeout(openSocket, jitter(socketDelay));
    });
  };
  openStream();
  openSocket();
  window.addEventListener("pagehide", () => {
    closing = true;
    if (stream) stream.close();
    if (socket) socket.close();
  });
})();
