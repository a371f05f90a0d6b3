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
