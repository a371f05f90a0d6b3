// Flask-Admin's list pages use inline onclick handlers, which Tenantry's Content Security
// Policy blocks (script-src has no 'unsafe-inline'). The templates under
// templates/admin/ mark those elements with data attributes instead; this does their work
// (delete buttons carry data-confirm, which tenantry.js handles on every surface).
// It listens in the capture phase: Bootstrap's dropdown handlers stop the click's bubbling.
document.addEventListener("click", function (event) {
  var target = event.target.closest("a, button");
  if (!target) {
    return;
  }
  if (target.getAttribute("href") === "javascript:void(0)") {
    // Placeholder links (tabs, dropdowns, filters, pager): navigating to a javascript:
    // URL is itself a CSP violation, and would do nothing anyway.
    event.preventDefault();
  }
  if (target.dataset.tenantryAction !== undefined) {
    window.modelActions.execute(target.dataset.tenantryAction); // "With selected" actions
  }
}, true);
