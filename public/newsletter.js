// The newsletter box without a page load: posts JSON to the API and shows the answer in place.
// Without JavaScript the same form posts to /newsletter/subscribe and gets a page.
(function () {
  'use strict';
  var form = document.getElementById('newsletter-form');
  if (!form || !window.fetch) {
    return;
  }
  var status = form.querySelector('.newsletter-status');
  var button = form.querySelector('button[type="submit"]');

  function show(message, isError) {
    status.textContent = message;
    status.hidden = false;
    status.classList.toggle('is-error', Boolean(isError));
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var email = form.elements.email.value.trim();
    var consent = form.elements.consent.checked;
    if (!consent) {
      show('Please tick the box to agree to receive the newsletter.', true);
      return;
    }
    button.disabled = true;
    fetch(form.getAttribute('data-api'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ email: email, consent: true, source: 'newsletter-box' }),
    })
      .then(function (response) {
        if (response.status === 202) {
          form.reset();
          show(
            'Almost done: check your inbox and confirm your subscription with the link we sent you.',
          );
        } else if (response.status === 429) {
          show('Too many attempts. Please try again later.', true);
        } else if (response.status === 400) {
          show('Please enter a valid email address.', true);
        } else {
          show('Something went wrong. Please try again in a moment.', true);
        }
      })
      .catch(function () {
        show('Could not reach the server. Please try again.', true);
      })
      .then(function () {
        button.disabled = false;
      });
  });
})();
