// Tenantry's small script for every surface (the site and both admins). The Content
// Security Policy allows no inline handlers, so behaviour hangs on data attributes.
//
// data-confirm="Question?" on a form (or on a submit button): ask before the form is
// sent; a "Cancel" sends nothing. Destructive actions carry it.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A box that scrolls sideways (a wide table, a code block) must be reachable by keyboard,
// or its hidden part is out of reach without a mouse: make it focusable, and name it.
function focusableScrollers() {
  var boxes = document.querySelectorAll(".table-wrap, .table-responsive, pre, .prose table");
  boxes.forEach(function (box) {
    if (box.scrollWidth > box.clientWidth + 1) {
      if (!box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", box.dataset.label || "Scrollable content");
      }
    }
  });
}
document.addEventListener("DOMContentLoaded", focusableScrollers);
window.addEventListener("resize", focusableScrollers);
