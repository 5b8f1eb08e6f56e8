// The GUI's few behaviours that need a script. The Content-Security-Policy allows scripts only
// from files like this one (no inline handlers), so they are bound here by data attributes.
"use strict";

// A "Show" checkbox with data-reveals="ID" shows the password field ID as plain text.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.reveals) return;
  const field = document.getElementById(box.dataset.reveals);
  if (field) field.type = box.checked ? "text" : "password";
});
