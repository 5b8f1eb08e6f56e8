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

// A button with data-copies="ID" copies the text of field ID (a public key) to the clipboard.
document.addEventListener("click", (event) => {
  const button = event.target;
  if (!(button instanceof HTMLButtonElement) || !button.dataset.copies) return;
  const field = document.getElementById(button.dataset.copies);
  if (!field) return;
  field.select();
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(() => {});
});
