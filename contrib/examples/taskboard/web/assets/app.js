// Taskboard's page script (bundled by esbuild through plugins/tmpl; no
// inline scripts, so the Content-Security-Policy allows 'self' only).
document.addEventListener("htmx:afterSwap", (ev) => {
  // After a form comes back with errors, put the cursor in the first bad field.
  const bad = ev.detail.elt.querySelector("[aria-invalid=true]");
  if (bad) bad.focus();
});
