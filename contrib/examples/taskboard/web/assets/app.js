// Taskboard's page script (bundled by esbuild through plugins/tmpl; no
// inline scripts, so the Content-Security-Policy allows 'self' only).
document.addEventListener("htmx:afterSwap", (ev) => {
  // After a form comes back with errors, put the cursor in the first bad field.
  const bad = ev.detail.elt.querySelector("[aria-invalid=true]");
  if (bad) bad.focus();
});

// Live board: the list reloads when a task changes on any instance
// (Server-Sent Events from /api/v1/tasks/events; EventSource reconnects by
// itself and resumes with Last-Event-ID). A reload never throws away a row
// being edited inline or a row request in flight: it waits for them (the
// list's swap is held back, and done once the row is saved or cancelled).
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
  const live = new EventSource("/api/v1/tasks/events");
  live.addEventListener("task", (ev) => {
    let data = {};
    try {
      data = JSON.parse(ev.data);
    } catch (e) {}
    if (data.client !== me) reload();
  });
  window.addEventListener("pagehide", () => live.close());
})();
