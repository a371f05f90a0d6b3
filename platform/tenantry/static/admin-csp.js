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

// Flask-Admin names its row checkboxes and column help links by a title only, which screen
// readers may skip: give each the same words as its accessible name.
document.addEventListener("DOMContentLoaded", function () {
  // Bootstrap's tooltips move a title into data-original-title.
  var titled = "input[title], a[title], a[data-original-title]";
  document.querySelectorAll(titled).forEach(function (element) {
    var words = element.getAttribute("title") || element.dataset.originalTitle;
    if (words && !element.hasAttribute("aria-label") && !element.textContent.trim()) {
      element.setAttribute("aria-label", words);
    }
  });
});
