(()=>{document.addEventListener("htmx:afterSwap",t=>{let e=t.detail.elt.querySelector("[aria-invalid=true]");e&&e.focus()});})();
