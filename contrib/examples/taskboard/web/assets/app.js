// Taskboard's page script (bundled by esbuild through plugins/tmpl; no
// inline scripts, so the Content-Security-Policy allows 'self' only).
document.addEventListener("htmx:afterSwap", (ev) => {
  // After a form comes back with errors, put the cursor in the first bad field.
  const bad = ev.detail.elt.querySelector("[aria-invalid=true]");
  if (bad) bad.focus();
});

// Live board: the list reloads when a task changes on any instance
// (Server-Sent Events from /api/v1/tasks/events; EventSource reconnects by
// itself and resumes with Last-Event-ID). A reload waits while a row is
// being edited inline, so it never throws the user's edit away.
(() => {
  const list = document.getElementById("tasks");
  if (!list || !window.EventSource) return;
  let pending = false;
  const editing = () => !!list.querySelector(".edit-title");
  const reload = () => {
    if (editing()) {
      pending = true;
      return;
    }
    pending = false;
    document.body.dispatchEvent(new CustomEvent("tasks-changed"));
  };
  document.addEventListener("htmx:afterSwap", () => {
    if (pending) reload();
  });
  const live = new EventSource("/api/v1/tasks/events");
  live.addEventListener("task", reload);
  window.addEventListener("pagehide", () => live.close());
})();
