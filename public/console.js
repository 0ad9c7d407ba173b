/*
 * The moderation console, enhanced. Every control works without this file (plain form posts,
 * 303 back); with it, decisions go through fetch without a reload, the keyboard drives the queue
 * (j/k move, a/s/t decide, x select, e edit) and the queue counts follow the server's
 * event stream, fed by PostgreSQL LISTEN/NOTIFY.
 */
(function () {
  'use strict';

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  function post(form, extra) {
    var data = new URLSearchParams(new FormData(form));
    if (extra) {
      Object.keys(extra).forEach(function (k) {
        data.set(k, extra[k]);
      });
    }
    return fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        'X-Requested-With': 'fetch',
        'X-CSRF-Token': csrf,
      },
      body: data.toString(),
    }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) {
          throw new Error(body && body.message ? body.message : 'request failed');
        }
        return body;
      });
    });
  }

  // ---- the queue ----------------------------------------------------------------------------
  var queue = document.getElementById('queue');
  var status = document.getElementById('queue-status');
  var say = function (text) {
    if (status) {
      status.textContent = text;
    }
  };
  var WORDS = {
    approved: 'Approved',
    spam: 'Marked as spam',
    trash: 'Trashed',
    pending: 'Held',
    pin: 'Pinned',
    unpin: 'Unpinned',
  };

  function items() {
    return queue
      ? Array.prototype.slice.call(queue.querySelectorAll('.queue-item:not(.decided)'))
      : [];
  }

  function current() {
    var active = document.activeElement;
    var item = active && active.closest ? active.closest('.queue-item') : null;
    if (item && !item.classList.contains('decided')) {
      return item;
    }
    return queue ? queue.querySelector('.queue-item.current:not(.decided)') : null;
  }

  function focusItem(item) {
    if (!item) {
      return;
    }
    items().forEach(function (el) {
      el.classList.remove('current');
    });
    item.classList.add('current');
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: 'nearest' });
  }

  function move(step) {
    var list = items();
    if (list.length === 0) {
      return;
    }
    var at = list.indexOf(current());
    var next = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + step));
    focusItem(list[next]);
  }

  function retire(item) {
    var list = items();
    var at = list.indexOf(item);
    item.classList.add('decided');
    item.setAttribute('aria-hidden', 'true');
    item.hidden = true;
    var rest = items();
    if (rest.length === 0) {
      say('Queue cleared. Reload for more.');
      return;
    }
    focusItem(rest[Math.min(at, rest.length - 1)]);
  }

  function decide(item, decision) {
    var form = item.querySelector('form.decide');
    if (!form || item.dataset.busy) {
      return;
    }
    item.dataset.busy = '1';
    post(form, { decision: decision })
      .then(function () {
        say(WORDS[decision] + ': ' + item.querySelector('h2').textContent.trim());
        if (decision === 'pin' || decision === 'unpin') {
          delete item.dataset.busy;
          return;
        }
        retire(item);
      })
      .catch(function (error) {
        delete item.dataset.busy;
        say('Could not save: ' + error.message);
      });
  }

  if (queue) {
    queue.addEventListener('submit', function (event) {
      var form = event.target;
      if (!form.classList || !form.classList.contains('decide')) {
        return;
      }
      event.preventDefault();
      var button = event.submitter;
      decide(form.closest('.queue-item'), button ? button.value : 'approved');
    });
    queue.addEventListener('click', function (event) {
      var item = event.target.closest('.queue-item');
      if (item && event.target.tagName !== 'BUTTON') {
        items().forEach(function (el) {
          el.classList.remove('current');
        });
        item.classList.add('current');
      }
    });
    document.addEventListener('keydown', function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      var tag = (event.target.tagName || '').toLowerCase();
      if (tag === 'input' && event.target.type !== 'checkbox') {
        return;
      }
      if (tag === 'textarea' || tag === 'select') {
        return;
      }
      var item = current();
      switch (event.key) {
        case 'j':
          move(1);
          break;
        case 'k':
          move(-1);
          break;
        case 'a':
          if (item) decide(item, 'approved');
          break;
        case 's':
          if (item) decide(item, 'spam');
          break;
        case 't':
          if (item) decide(item, 'trash');
          break;
        case 'x':
          if (item) {
            var box = item.querySelector('input.select');
            box.checked = !box.checked;
          }
          break;
        case 'e':
          if (item) window.location.href = item.querySelector('a.edit').href;
          break;
        default:
          return;
      }
      event.preventDefault();
    });
    var first = items()[0];
    if (first) {
      first.classList.add('current');
    }
  }

  var bulk = document.getElementById('bulk-form');
  if (bulk) {
    bulk.addEventListener('submit', function (event) {
      event.preventDefault();
      var chosen = Array.prototype.slice.call(document.querySelectorAll('input.select:checked'));
      if (chosen.length === 0) {
        say('Select comments first (x, or the boxes).');
        return;
      }
      var data = { status: event.submitter ? event.submitter.value : 'trash' };
      var body = new URLSearchParams(new FormData(bulk));
      body.set('status', data.status);
      chosen.forEach(function (box) {
        body.append('ids', box.value);
      });
      fetch(bulk.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
          'X-Requested-With': 'fetch',
          'X-CSRF-Token': csrf,
        },
        body: body.toString(),
      })
        .then(function (res) {
          return res.json().then(function (json) {
            if (!res.ok) throw new Error(json.message || 'request failed');
            return json;
          });
        })
        .then(function (json) {
          chosen.forEach(function (box) {
            box.checked = false;
            var item = box.closest('.queue-item');
            if (item) retire(item);
          });
          say(WORDS[json.status] + ': ' + json.updated + ' comments.');
        })
        .catch(function (error) {
          say('Could not save: ' + error.message);
        });
    });
  }

  // ---- live counts ----------------------------------------------------------------------------
  var badges = document.querySelectorAll('[data-count]');
  if (badges.length && window.EventSource) {
    var stream = new EventSource('/admin/queue/stream');
    stream.addEventListener('counts', function (event) {
      var counts = JSON.parse(event.data);
      badges.forEach(function (badge) {
        var n = counts[badge.getAttribute('data-count')];
        if (typeof n === 'number') {
          badge.textContent = n >= 1000 ? '999+' : String(n);
        }
      });
      document.documentElement.setAttribute('data-live', 'on');
    });
  }

  // ---- times: the server writes ISO instants; show them in the reader's own time zone ---------
  var TIME = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  document.querySelectorAll('time[datetime]').forEach(function (el) {
    var when = new Date(el.getAttribute('datetime'));
    if (!isNaN(when.getTime())) {
      el.title = el.getAttribute('datetime');
      el.textContent = when.toLocaleString(undefined, TIME);
    }
  });

  // ---- newsletter ---------------------------------------------------------------------------
  var previewForm = document.getElementById('preview-html-form');
  if (previewForm) {
    previewForm.submit();
  }
  var issueState = document.getElementById('issue-state');
  if (issueState && issueState.textContent.trim() !== 'Done.') {
    var poll = setInterval(function () {
      fetch(issueState.getAttribute('data-progress-url'), {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      })
        .then(function (res) {
          return res.json();
        })
        .then(function (p) {
          document.querySelectorAll('[data-status]').forEach(function (cell) {
            cell.textContent = String(p.byStatus[cell.getAttribute('data-status')] || 0);
          });
          if (p.done) {
            issueState.textContent = 'Done.';
            clearInterval(poll);
          }
        })
        .catch(function () {
          clearInterval(poll);
        });
    }, 2000);
  }
})();
