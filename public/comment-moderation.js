/*
 * The reader's side of moderation on the article page: a held comment shown to the browser that
 * wrote it (marked "awaiting moderation"), and the report action sent through the API.
 * Without this script the page still works: the post shows a "held" notice and reports are plain
 * form posts.
 */
(function () {
  'use strict';

  var VOTER_KEY = 'marginalia.voterId';
  var HELD_KEY = 'marginalia:held-comments';
  var HELD_MAX = 20;

  var thread = document.querySelector('.comment-thread');
  if (!thread) {
    return;
  }
  var slug = thread.getAttribute('data-slug');

  function store() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  function voterId() {
    var s = store();
    var id = s && s.getItem(VOTER_KEY);
    if (!id || id.length < 16) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map
        .call(bytes, function (b) {
          return ('0' + b.toString(16)).slice(-2);
        })
        .join('');
      if (s) {
        s.setItem(VOTER_KEY, id);
      }
    }
    return id;
  }

  function readHeld() {
    var s = store();
    try {
      var list = JSON.parse((s && s.getItem(HELD_KEY)) || '[]');
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];
    }
  }

  function writeHeld(list) {
    var s = store();
    if (s) {
      s.setItem(HELD_KEY, JSON.stringify(list.slice(-HELD_MAX)));
    }
  }

  function remember(id, token) {
    var list = readHeld().filter(function (e) {
      return e.id !== id;
    });
    list.push({ slug: slug, id: id, token: token });
    writeHeld(list);
  }

  function forget(id) {
    writeHeld(
      readHeld().filter(function (e) {
        return e.id !== id;
      }),
    );
  }

  function render(comment) {
    if (document.getElementById('comment-' + comment.id)) {
      return;
    }
    var li = document.createElement('li');
    li.className = 'comment comment-held';
    li.id = 'comment-' + comment.id;
    li.setAttribute('data-comment-id', comment.id);
    var card = document.createElement('article');
    card.className = 'comment-card';
    var meta = document.createElement('header');
    meta.className = 'comment-meta';
    var author = document.createElement('span');
    author.className = 'comment-author';
    author.textContent = comment.authorName || '';
    var label = document.createElement('span');
    label.className = 'comment-held-label';
    label.textContent = 'Awaiting moderation';
    meta.appendChild(author);
    meta.appendChild(label);
    var body = document.createElement('div');
    body.className = 'comment-body';
    // bodyHtml is the server's sanitized rendering, the same HTML the page itself embeds.
    body.innerHTML = comment.bodyHtml || '';
    card.appendChild(meta);
    card.appendChild(body);
    li.appendChild(card);

    var parent = comment.parentId && document.getElementById('comment-' + comment.parentId);
    if (parent) {
      var replies = parent.querySelector(':scope > .comment-replies');
      if (!replies) {
        replies = document.createElement('ol');
        replies.className = 'comment-replies';
        parent.appendChild(replies);
      }
      replies.appendChild(li);
      return;
    }
    var list = document.getElementById('comment-list');
    if (list) {
      list.insertBefore(li, list.firstChild);
    }
  }

  function showHeld(entry) {
    fetch('/api/comments/' + encodeURIComponent(entry.id), {
      headers: { 'X-Edit-Token': entry.token, Accept: 'application/json' },
      credentials: 'omit',
    })
      .then(function (res) {
        if (res.status === 404 || res.status === 403) {
          forget(entry.id);
          return null;
        }
        return res.ok ? res.json() : null;
      })
      .then(function (comment) {
        if (!comment) {
          return;
        }
        if (comment.status === 'pending') {
          render(comment);
        } else {
          // Approved: it is in the thread for everyone now.
          forget(entry.id);
        }
      })
      .catch(function () {
        /* offline: try again on the next visit */
      });
  }

  // A comment posted by the plain form: the server handed its id and edit token to this browser
  // in a short-lived cookie (comments.js deletes it once every script has read it).
  var own = /(?:^|;\s*)marginalia-own=([0-9a-f-]{36})\.([A-Za-z0-9_-]+)/.exec(document.cookie);
  if (own && /[?&]held=1/.test(window.location.search)) {
    remember(own[1], own[2]);
  }

  // A held comment posted through the API by another script on the page.
  document.addEventListener('marginalia:comment-posted', function (event) {
    var posted = event.detail;
    if (posted && posted.comment && posted.comment.status === 'pending' && posted.editToken) {
      remember(posted.comment.id, posted.editToken);
      showHeld({ id: posted.comment.id, token: posted.editToken });
    }
  });

  readHeld()
    .filter(function (e) {
      return e.slug === slug;
    })
    .forEach(showHeld);

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || !form.classList || !form.classList.contains('report-form')) {
      return;
    }
    event.preventDefault();
    var id = form.getAttribute('data-comment-id');
    var reason = (form.elements.reason.value || '').trim() || 'reported by a reader';
    var button = form.querySelector('button');
    button.disabled = true;
    fetch('/api/comments/' + encodeURIComponent(id) + '/reports', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Voter-Id': voterId() },
      body: JSON.stringify({ reason: reason }),
      credentials: 'omit',
    })
      .then(function (res) {
        var note = document.createElement('p');
        note.className = 'report-done';
        note.setAttribute('role', 'status');
        note.textContent =
          res.status === 202
            ? 'Thank you. A moderator will take a look.'
            : res.status === 429
              ? 'Too many reports from here; try again later.'
              : 'This comment could not be reported.';
        form.replaceWith(note);
      })
      .catch(function () {
        button.disabled = false;
      });
  });
})();
