/*
 * Progressive enhancement of the comment thread on the article page. Everything here also works
 * without JavaScript through plain links and the form post; this script posts JSON to the API and
 * inserts the result without a reload, adds voting, paragraph badges for inline feedback and
 * "Comment on this passage" for a selection. No inline handlers: the page's CSP forbids them.
 */
(function () {
  'use strict';

  var thread = document.querySelector('.comment-thread');
  if (!thread) {
    return;
  }
  var slug = thread.getAttribute('data-slug');
  var indentDepth = Number(thread.getAttribute('data-indent-depth')) || 5;
  var form = document.getElementById('comment-form');
  var formWrap = document.getElementById('reply-form');
  var formHome = { parent: formWrap.parentNode, next: formWrap.nextSibling };
  var list = document.getElementById('comment-list');
  var CONTEXT = 32;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') {
        node.textContent = attrs[key];
      } else if (attrs[key] !== null && attrs[key] !== undefined && attrs[key] !== false) {
        node.setAttribute(key, attrs[key] === true ? '' : attrs[key]);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(child);
      }
    });
    return node;
  }

  function normalize(text) {
    return text.normalize('NFC').replace(/\s+/g, ' ');
  }

  function dateLabel(iso) {
    return new Date(iso).toLocaleString('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'UTC',
    });
  }

  // ---- voting ------------------------------------------------------------------------------

  function voterId() {
    var id = null;
    try {
      id = localStorage.getItem('marginalia.voterId');
      if (!id) {
        id = 'v-' + crypto.randomUUID();
        localStorage.setItem('marginalia.voterId', id);
      }
    } catch (e) {
      id = id || 'v-' + crypto.randomUUID();
    }
    return id;
  }

  function myVotes() {
    try {
      return JSON.parse(localStorage.getItem('marginalia.votes') || '{}');
    } catch (e) {
      return {};
    }
  }

  function enableVotes(root) {
    var votes = myVotes();
    root.querySelectorAll('.comment-votes').forEach(function (box) {
      var id = box.closest('.comment').getAttribute('data-comment-id');
      box.querySelectorAll('.vote').forEach(function (button) {
        button.hidden = false;
        button.setAttribute(
          'aria-pressed',
          String(votes[id] === Number(button.getAttribute('data-value'))),
        );
      });
    });
  }

  /** Says why a vote did not count (empty text removes the note). */
  function voteNote(comment, text) {
    var box = comment.querySelector('.comment-votes');
    var note = box.querySelector('.vote-note');
    if (!text) {
      if (note) {
        note.remove();
      }
      return;
    }
    if (!note) {
      note = el('span', { class: 'vote-note', role: 'status' });
      box.appendChild(note);
    }
    note.textContent = text;
  }

  thread.addEventListener('click', function (event) {
    var button = event.target.closest('.vote');
    if (!button) {
      return;
    }
    var comment = button.closest('.comment');
    var id = comment.getAttribute('data-comment-id');
    var votes = myVotes();
    var value = Number(button.getAttribute('data-value'));
    var next = votes[id] === value ? 0 : value;
    fetch('/api/comments/' + id + '/vote', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'X-Voter-Id': voterId() },
      body: JSON.stringify({ value: next }),
    })
      .then(function (res) {
        if (res.status === 429) {
          voteNote(
            comment,
            'Too many votes on this comment from your network just now; try again later.',
          );
        }
        return res.ok ? res.json() : null;
      })
      .then(function (result) {
        if (!result) {
          return;
        }
        voteNote(comment, '');
        votes[id] = result.myVote;
        try {
          localStorage.setItem('marginalia.votes', JSON.stringify(votes));
        } catch (e) {
          /* private mode: the vote still counted */
        }
        var box = comment.querySelector('.comment-votes');
        box.querySelector('.vote-score').textContent = String(result.score);
        box.querySelectorAll('.vote').forEach(function (b) {
          b.setAttribute(
            'aria-pressed',
            String(result.myVote === Number(b.getAttribute('data-value'))),
          );
        });
      });
  });

  // ---- rendering comments from the API (the same markup as templates/partials/comment.hbs) ----

  function initials(name) {
    var words = String(name || '')
      .normalize('NFC')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    var picked = words.length > 1 ? [words[0], words[words.length - 1]] : words.slice(0, 1);
    return (
      picked
        .map(function (w) {
          return Array.from(w)[0].toUpperCase();
        })
        .join('') || '?'
    );
  }

  function avatarHue(name) {
    var hash = 0;
    Array.from(String(name || '')).forEach(function (ch) {
      hash = (Math.imul(hash, 31) + ch.codePointAt(0)) >>> 0;
    });
    return hash % 12;
  }

  function reportBox(id) {
    return el('details', { class: 'comment-report' }, [
      el('summary', { text: 'Report' }),
      el(
        'form',
        {
          class: 'report-form',
          method: 'post',
          action: '/comments/' + id + '/report',
          'data-comment-id': id,
        },
        [
          el('label', { for: 'report-' + id, text: 'Why should a moderator look at it?' }),
          el('input', {
            id: 'report-' + id,
            name: 'reason',
            type: 'text',
            maxlength: '500',
            required: true,
            placeholder: 'spam, abuse, off topic\u2026',
          }),
          el('button', { type: 'submit', text: 'Send report' }),
        ],
      ),
    ]);
  }

  function renderComment(node, level) {
    var li = el('li', {
      class:
        'comment comment-level-' + level + (node.status === 'deleted' ? ' comment-deleted' : ''),
      id: 'comment-' + node.id,
      'data-comment-id': node.id,
    });
    var card = el('article', {
      class: 'comment-card',
      'aria-labelledby': 'comment-' + node.id + '-by',
    });
    if (node.status === 'deleted') {
      card.appendChild(
        el('p', {
          class: 'comment-placeholder',
          id: 'comment-' + node.id + '-by',
          text: 'This comment was deleted.',
        }),
      );
    } else {
      card.appendChild(
        el('header', { class: 'comment-meta' }, [
          el('span', {
            class: 'avatar avatar-' + avatarHue(node.authorName),
            'aria-hidden': 'true',
            text: initials(node.authorName),
          }),
          el('span', {
            class: 'comment-author',
            id: 'comment-' + node.id + '-by',
            text: node.authorName,
          }),
          node.pinned ? el('span', { class: 'comment-pinned-label', text: 'Pinned' }) : null,
          document.createTextNode(' '),
          el('a', { class: 'comment-permalink', href: '#comment-' + node.id }, [
            el('time', { datetime: node.createdAt, text: dateLabel(node.createdAt) }),
          ]),
          node.editedAt ? el('span', { class: 'comment-edited', text: ' (edited)' }) : null,
        ]),
      );
      if (node.anchor && node.anchor.quote) {
        var quote = el('blockquote', {
          class:
            'comment-quote' + (node.anchor.state === 'orphaned' ? ' comment-quote-orphaned' : ''),
          'data-block-id': node.anchor.blockId,
        });
        quote.appendChild(
          el('p', { text: 'On the passage \u201c' + node.anchor.quote.exact + '\u201d' }),
        );
        card.appendChild(quote);
      }
      var body = el('div', { class: 'comment-body' });
      // bodyHtml was rendered and sanitized by the server with a strict allowlist.
      body.innerHTML = node.bodyHtml;
      card.appendChild(body);
      card.appendChild(
        el('footer', { class: 'comment-actions' }, [
          el('span', { class: 'comment-votes' }, [
            el(
              'button',
              {
                type: 'button',
                class: 'vote vote-up',
                'data-value': '1',
                title: 'Vote up',
                text: '\u25b2',
              },
              [el('span', { class: 'visually-hidden', text: ' Vote up' })],
            ),
            el('span', { class: 'vote-score', title: 'Score', text: String(node.votes.score) }),
            el(
              'button',
              {
                type: 'button',
                class: 'vote vote-down',
                'data-value': '-1',
                title: 'Vote down',
                text: '\u25bc',
              },
              [el('span', { class: 'visually-hidden', text: ' Vote down' })],
            ),
          ]),
          document.createTextNode(' '),
          el('a', {
            class: 'reply-link',
            href: '?replyTo=' + node.id + '#reply-form',
            'data-reply-to': node.id,
            'data-author': node.authorName,
            text: 'Reply',
          }),
          document.createTextNode(' '),
          reportBox(node.id),
        ]),
      );
    }
    li.appendChild(card);
    appendReplies(li, node.replies || [], level);
    if (node.moreReplies) {
      li.appendChild(
        el('p', { class: 'more-replies' }, [
          el('a', {
            class: 'more-replies-link',
            href: '/comments/' + node.id + '/replies#replies-title',
            'data-comment-id': node.id,
            text: 'Show more replies',
          }),
        ]),
      );
    }
    return li;
  }

  /** Replies deeper than the indent cap are shown at the cap, after their parent. */
  function appendReplies(li, replies, level) {
    if (!replies.length) {
      return;
    }
    var ol =
      li.querySelector(':scope > .comment-replies') || el('ol', { class: 'comment-replies' });
    var childLevel = Math.min(level + 1, indentDepth);
    replies.forEach(function (reply) {
      if (childLevel >= indentDepth) {
        var flat = [];
        (function walk(n) {
          flat.push(n);
          (n.replies || []).forEach(walk);
        })(reply);
        flat.forEach(function (n) {
          ol.appendChild(renderComment(Object.assign({}, n, { replies: [] }), childLevel));
        });
      } else {
        ol.appendChild(renderComment(reply, childLevel));
      }
    });
    if (!ol.parentNode) {
      var more = li.querySelector(':scope > .more-replies');
      li.insertBefore(ol, more);
    }
  }

  function levelOf(li) {
    var match = /comment-level-(\d+)/.exec(li.className);
    return match ? Number(match[1]) : 0;
  }

  // ---- the form -----------------------------------------------------------------------------

  function field(name) {
    return form.elements.namedItem(name);
  }

  function showErrors(messages) {
    var box = form.querySelector('.comment-errors');
    if (!box) {
      box = el('div', { class: 'comment-errors', role: 'alert' });
      form.insertBefore(box, form.querySelector('.passage-quote'));
    }
    box.textContent = '';
    box.appendChild(el('p', { text: 'Your comment could not be posted:' }));
    var ul = el('ul');
    messages.forEach(function (m) {
      ul.appendChild(el('li', { text: m }));
    });
    box.appendChild(ul);
  }

  function clearErrors() {
    var box = form.querySelector('.comment-errors');
    if (box) {
      box.remove();
    }
  }

  function showHeld() {
    var notice = document.getElementById('comment-held');
    if (!notice) {
      notice = el('p', {
        class: 'comment-notice',
        id: 'comment-held',
        role: 'status',
        text: 'Thank you. Your comment is held for moderation and will appear once it is approved.',
      });
      formWrap.insertBefore(notice, form);
    }
    notice.hidden = false;
  }

  // The same words as the page shows after a plain form post with a "Notify of" choice.
  function showConfirmByMail() {
    var notice = document.getElementById('comment-confirm-mail');
    if (!notice) {
      notice = el('p', {
        class: 'comment-notice',
        id: 'comment-confirm-mail',
        role: 'status',
        text:
          'Please check your inbox: unless this address already receives these notifications, ' +
          'we sent it an email with a link to confirm them. Nothing is sent until you confirm.',
      });
      formWrap.insertBefore(notice, form);
    }
    notice.hidden = false;
  }

  function setCount(delta) {
    var count = thread.querySelector('#comments-title .count');
    var n = Number((count.textContent.match(/\d+/) || ['0'])[0]) + delta;
    count.textContent = '(' + n + ')';
    var empty = thread.querySelector('.comments-empty');
    if (empty && n > 0) {
      empty.remove();
    }
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearErrors();
    var payload = {
      authorName: field('authorName').value.trim(),
      authorEmail: field('authorEmail').value.trim(),
      body: field('body').value,
      notify: field('notify').value,
    };
    if (field('website').value) {
      payload.website = field('website').value;
    }
    var parentId = field('parentId').value;
    if (parentId) {
      payload.parentId = parentId;
    }
    if (field('anchorBlockId').value) {
      payload.anchor = { blockId: field('anchorBlockId').value };
      if (field('anchorExact').value) {
        payload.anchor.quote = {
          exact: field('anchorExact').value,
          prefix: field('anchorPrefix').value,
          suffix: field('anchorSuffix').value,
        };
      }
    }
    var submit = form.querySelector('.comment-submit');
    submit.disabled = true;
    fetch('/api/articles/' + encodeURIComponent(slug) + '/comments', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(payload),
    })
      .then(function (res) {
        return res.json().then(function (body) {
          return { res: res, body: body };
        });
      })
      .then(function (answer) {
        if (answer.res.status !== 201) {
          var body = answer.body || {};
          var messages = body.errors
            ? body.errors.map(function (e) {
                return e.message;
              })
            : [body.message || 'Something went wrong; please try again.'];
          if (answer.res.status === 429) {
            messages = [
              'You are commenting too fast. Please try again in ' +
                (answer.res.headers.get('Retry-After') || 'a few') +
                ' seconds.',
            ];
          }
          showErrors(messages);
          return;
        }
        var comment = answer.body.comment;
        rememberOwn(comment.id, answer.body.editToken, answer.body.editableUntil);
        keepIdentity();
        // Other scripts on the page (the author's own held comments) hear of every post.
        document.dispatchEvent(
          new CustomEvent('marginalia:comment-posted', { detail: answer.body }),
        );
        if (payload.notify && payload.notify !== 'none') {
          showConfirmByMail();
        }
        field('body').value = '';
        clearPassage();
        if (comment.status !== 'approved') {
          showHeld();
          cancelReply();
          return;
        }
        var li;
        if (parentId) {
          var parent = document.getElementById('comment-' + parentId);
          var level = Math.min(levelOf(parent) + 1, indentDepth);
          li = renderComment(comment, level);
          if (levelOf(parent) >= indentDepth) {
            parent.parentNode.insertBefore(li, parent.nextSibling);
          } else {
            var ol = parent.querySelector(':scope > .comment-replies');
            if (!ol) {
              ol = el('ol', { class: 'comment-replies' });
              parent.insertBefore(ol, parent.querySelector(':scope > .more-replies'));
            }
            ol.appendChild(li);
          }
        } else {
          li = renderComment(comment, 0);
          list.insertBefore(li, list.firstChild);
        }
        cancelReply();
        enableVotes(li);
        offerOwnActions();
        setCount(1);
        li.classList.add('comment-new');
        li.scrollIntoView({ block: 'center' });
      })
      .catch(function () {
        showErrors(['The comment could not be sent. Check your connection and try again.']);
      })
      .then(function () {
        submit.disabled = false;
      });
  });

  // ---- replies ------------------------------------------------------------------------------

  function cancelReply() {
    field('parentId').value = '';
    var note = form.querySelector('.replying-to');
    if (note) {
      note.remove();
    }
    if (formWrap.parentNode !== formHome.parent) {
      formHome.parent.insertBefore(formWrap, formHome.next);
    }
  }

  thread.addEventListener('click', function (event) {
    var link = event.target.closest('.reply-link');
    if (link) {
      event.preventDefault();
      cancelReply();
      var li = document.getElementById('comment-' + link.getAttribute('data-reply-to'));
      field('parentId').value = link.getAttribute('data-reply-to');
      var note = el('p', { class: 'replying-to' }, [
        document.createTextNode('Replying to '),
        el('strong', { text: link.getAttribute('data-author') || 'a comment' }),
        document.createTextNode(' \u00b7 '),
        el('a', { class: 'cancel-reply', href: '#comments', text: 'Cancel reply' }),
      ]);
      form.insertBefore(note, form.firstChild);
      li.querySelector('.comment-card').after(formWrap);
      field('body').focus();
      return;
    }
    if (event.target.closest('.cancel-reply')) {
      event.preventDefault();
      cancelReply();
    }
  });

  // ---- load more and more replies -----------------------------------------------------------

  thread.addEventListener('click', function (event) {
    var more = event.target.closest('.load-more-link');
    if (more) {
      event.preventDefault();
      var params = new URL(more.href, location.href).searchParams;
      params.set('limit', '20');
      fetch('/api/articles/' + encodeURIComponent(slug) + '/comments?' + params.toString(), {
        headers: { Accept: 'application/json' },
      })
        .then(function (res) {
          return res.json();
        })
        .then(function (page) {
          page.items.forEach(function (node) {
            var li = renderComment(node, 0);
            list.appendChild(li);
            enableVotes(li);
          });
          if (page.nextCursor) {
            var next = new URL(more.href, location.href);
            next.searchParams.set('cursor', page.nextCursor);
            more.href = next.pathname + next.search + '#comments';
          } else {
            more.parentNode.remove();
          }
        });
      return;
    }
    var replies = event.target.closest('.more-replies-link');
    if (replies) {
      event.preventDefault();
      var li = document.getElementById('comment-' + replies.getAttribute('data-comment-id'));
      var collected = [];
      (function load(cursor) {
        var url =
          '/api/comments/' +
          li.getAttribute('data-comment-id') +
          '/replies?limit=100' +
          (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
        fetch(url, { headers: { Accept: 'application/json' } })
          .then(function (res) {
            return res.json();
          })
          .then(function (page) {
            collected = collected.concat(page.items);
            if (page.nextCursor) {
              load(page.nextCursor);
              return;
            }
            var old = li.querySelector(':scope > .comment-replies');
            if (old) {
              old.remove();
            }
            appendReplies(li, collected, levelOf(li));
            replies.parentNode.remove();
            enableVotes(li);
          });
      })(null);
    }
  });

  // ---- inline feedback: paragraph badges and "Comment on this passage" ----------------------

  var counts = {};
  try {
    counts = JSON.parse(thread.getAttribute('data-inline-counts') || '{}');
  } catch (e) {
    counts = {};
  }
  document.querySelectorAll('.article-body [data-block-id]').forEach(function (block) {
    var n = counts[block.getAttribute('data-block-id')];
    if (n > 0) {
      block.appendChild(
        el('a', {
          class: 'inline-badge',
          href: '?anchor=' + encodeURIComponent(block.getAttribute('data-block-id')) + '#comments',
          'aria-label':
            n + (n === 1 ? ' inline comment' : ' inline comments') + ' on this paragraph',
          title: 'Inline Feedbacks',
          text: String(n),
        }),
      );
    }
  });

  var passageButton = el('button', {
    type: 'button',
    class: 'passage-button',
    hidden: true,
    text: 'Comment on this passage',
  });
  document.body.appendChild(passageButton);
  var pending = null;

  function blockOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    return element ? element.closest('.article-body [data-block-id]') : null;
  }

  function readSelection() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) {
      return null;
    }
    var range = selection.getRangeAt(0);
    var block = blockOf(range.startContainer);
    if (!block || block !== blockOf(range.endContainer)) {
      return null;
    }
    var exact = normalize(range.toString()).trim();
    if (!exact || exact.length > 1000) {
      return null;
    }
    var before = document.createRange();
    before.selectNodeContents(block);
    before.setEnd(range.startContainer, range.startOffset);
    var after = document.createRange();
    after.selectNodeContents(block);
    after.setStart(range.endContainer, range.endOffset);
    var badge = block.querySelector('.inline-badge');
    var afterText = after.toString();
    if (badge) {
      afterText = afterText.slice(0, Math.max(0, afterText.length - badge.textContent.length));
    }
    return {
      blockId: block.getAttribute('data-block-id'),
      exact: exact,
      prefix: normalize(before.toString()).slice(-CONTEXT),
      suffix: normalize(afterText).slice(0, CONTEXT),
      rect: range.getBoundingClientRect(),
    };
  }

  function offerPassage() {
    pending = readSelection();
    if (!pending) {
      passageButton.hidden = true;
      return;
    }
    passageButton.hidden = false;
    passageButton.style.top = window.scrollY + pending.rect.bottom + 8 + 'px';
    passageButton.style.left = Math.max(8, window.scrollX + pending.rect.left) + 'px';
  }

  document.addEventListener('mouseup', function () {
    setTimeout(offerPassage, 0);
  });
  // Touch screens select by long-press and drag handles: no mouse events, only selection changes.
  var selectionTimer = null;
  document.addEventListener('selectionchange', function () {
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(function () {
      var selection = window.getSelection();
      if (selection && !selection.isCollapsed && !passageButton.contains(document.activeElement)) {
        offerPassage();
      }
    }, 250);
  });
  document.addEventListener('touchend', function () {
    setTimeout(offerPassage, 300);
  });
  document.addEventListener('keyup', function (event) {
    if (event.shiftKey || event.key === 'Shift') {
      offerPassage();
    }
  });
  document.addEventListener('selectionchange', function () {
    if (window.getSelection().isCollapsed) {
      passageButton.hidden = true;
    }
  });

  function clearPassage() {
    ['anchorBlockId', 'anchorExact', 'anchorPrefix', 'anchorSuffix'].forEach(function (name) {
      field(name).value = '';
    });
    form.querySelector('.passage-quote').hidden = true;
  }

  // ---- commented passages highlighted in the text; a highlight opens its inline comments ----

  function highlight(block, exact) {
    var walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    var nodes = [];
    var text = '';
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement.closest('.inline-badge, .passage-highlight')) {
        continue;
      }
      nodes.push({ node: n, start: text.length });
      text += n.data;
    }
    var at = normalize(text).indexOf(exact);
    if (at < 0 || normalize(text).length !== text.length) {
      at = text.indexOf(exact);
    }
    if (at < 0) {
      return;
    }
    var end = at + exact.length;
    var range = document.createRange();
    nodes.forEach(function (entry) {
      var length = entry.node.data.length;
      if (at >= entry.start && at <= entry.start + length) {
        range.setStart(entry.node, at - entry.start);
      }
      if (end >= entry.start && end <= entry.start + length) {
        range.setEnd(entry.node, end - entry.start);
      }
    });
    var link = el('a', {
      class: 'passage-highlight',
      href: '?anchor=' + encodeURIComponent(block.getAttribute('data-block-id')) + '#comments',
      title: 'Read the comments on this passage',
    });
    link.appendChild(range.extractContents());
    range.insertNode(link);
  }

  if (Object.keys(counts).length > 0) {
    fetch('/api/articles/' + encodeURIComponent(slug) + '/comments?anchor=inline&limit=100', {
      headers: { Accept: 'application/json' },
    })
      .then(function (res) {
        return res.ok ? res.json() : { items: [] };
      })
      .then(function (page) {
        var seen = {};
        page.items.forEach(function (node) {
          var anchor = node.anchor;
          if (!anchor || !anchor.quote || anchor.state === 'orphaned') {
            return;
          }
          var key = anchor.blockId + '\u0000' + anchor.quote.exact;
          var block = document.querySelector(
            '.article-body [data-block-id="' + CSS.escape(anchor.blockId) + '"]',
          );
          if (block && !seen[key]) {
            seen[key] = true;
            highlight(block, anchor.quote.exact);
          }
        });
      })
      .catch(function () {
        /* highlights are a nicety; the badges still lead to the comments */
      });
  }

  passageButton.addEventListener('mousedown', function (event) {
    // Keep the selection alive until the click is handled.
    event.preventDefault();
  });
  passageButton.addEventListener('click', function () {
    if (!pending) {
      return;
    }
    cancelReply();
    field('anchorBlockId').value = pending.blockId;
    field('anchorExact').value = pending.exact;
    field('anchorPrefix').value = pending.prefix;
    field('anchorSuffix').value = pending.suffix;
    var box = form.querySelector('.passage-quote');
    box.querySelector('.passage-quote-text').textContent = pending.exact;
    box.hidden = false;
    passageButton.hidden = true;
    formWrap.scrollIntoView({ block: 'start' });
    field('body').focus();
  });
  form.querySelector('.passage-clear').addEventListener('click', clearPassage);
  if (field('anchorExact').value) {
    var box = form.querySelector('.passage-quote');
    box.querySelector('.passage-quote-text').textContent = field('anchorExact').value;
    box.hidden = false;
  }

  // ---- the reader's own comments: edit and delete within the edit window, from this browser ----

  var OWN_KEY = 'marginalia:own-comments';
  var OWN_COOKIE = 'marginalia-own';
  var EDIT_WINDOW_MS = 15 * 60 * 1000;

  function readOwn() {
    try {
      var list = JSON.parse(localStorage.getItem(OWN_KEY) || '[]');
      return Array.isArray(list)
        ? list.filter(function (e) {
            return e && Date.parse(e.until) > Date.now();
          })
        : [];
    } catch (e) {
      return [];
    }
  }

  function writeOwn(list) {
    try {
      localStorage.setItem(OWN_KEY, JSON.stringify(list.slice(-50)));
    } catch (e) {
      /* private mode: editing works until the page is left */
    }
  }

  function rememberOwn(id, token, until) {
    var list = readOwn().filter(function (e) {
      return e.id !== id;
    });
    list.push({ id: id, token: token, until: until });
    writeOwn(list);
    offerOwnActions();
  }

  function forgetOwn(id) {
    writeOwn(
      readOwn().filter(function (e) {
        return e.id !== id;
      }),
    );
  }

  // A comment posted by the plain form: the server handed its id and token over in a cookie,
  // which is moved here and deleted once every script of the page has read it.
  var cookie = /(?:^|;\s*)marginalia-own=([0-9a-f-]{36})\.([A-Za-z0-9_-]+)/.exec(document.cookie);
  if (cookie) {
    rememberOwn(cookie[1], cookie[2], new Date(Date.now() + EDIT_WINDOW_MS).toISOString());
    document.addEventListener('DOMContentLoaded', function () {
      document.cookie = OWN_COOKIE + '=; Max-Age=0; Path=/articles/' + slug + '; SameSite=Strict';
    });
  }

  function ownEntry(id) {
    return readOwn().filter(function (e) {
      return e.id === id;
    })[0];
  }

  function offerOwnActions() {
    readOwn().forEach(function (entry) {
      var li = document.getElementById('comment-' + entry.id);
      var actions = li && li.querySelector(':scope > .comment-card .comment-actions');
      if (!actions || actions.querySelector('.own-actions')) {
        return;
      }
      actions.appendChild(
        el('span', { class: 'own-actions' }, [
          el('button', { type: 'button', class: 'link-button comment-edit', text: 'Edit' }),
          el('button', { type: 'button', class: 'link-button comment-delete', text: 'Delete' }),
        ]),
      );
    });
  }

  function ownRequest(id, method, body) {
    var entry = ownEntry(id);
    if (!entry) {
      return Promise.resolve({ status: 403 });
    }
    var headers = { 'X-Edit-Token': entry.token, Accept: 'application/json' };
    if (body) {
      headers['Content-Type'] = 'application/json';
    }
    return fetch('/api/comments/' + id, {
      method: method,
      headers: headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: 'omit',
    });
  }

  function ownProblem(li, res) {
    var text =
      res.status === 403 || res.status === 409
        ? 'The edit window of this comment has closed.'
        : 'That did not work. Please try again.';
    var note = el('p', { class: 'comment-notice', role: 'status', text: text });
    li.querySelector(':scope > .comment-card').appendChild(note);
    if (res.status === 403 || res.status === 409) {
      forgetOwn(li.getAttribute('data-comment-id'));
      var own = li.querySelector('.own-actions');
      if (own) {
        own.remove();
      }
    }
  }

  thread.addEventListener('click', function (event) {
    var editButton = event.target.closest('.comment-edit');
    var deleteButton = event.target.closest('.comment-delete');
    if (!editButton && !deleteButton) {
      return;
    }
    var li = event.target.closest('.comment');
    var id = li.getAttribute('data-comment-id');
    var card = li.querySelector(':scope > .comment-card');
    if (deleteButton) {
      if (!window.confirm('Delete your comment? This cannot be undone.')) {
        return;
      }
      ownRequest(id, 'DELETE').then(function (res) {
        if (res.status !== 204) {
          ownProblem(li, res);
          return;
        }
        forgetOwn(id);
        card.textContent = '';
        card.appendChild(
          el('p', { class: 'comment-placeholder', text: 'You deleted this comment.' }),
        );
      });
      return;
    }
    if (card.querySelector('.comment-edit-form')) {
      return;
    }
    var body = card.querySelector('.comment-body');
    var editor = el('form', { class: 'comment-edit-form' }, [
      el('label', { for: 'edit-' + id, text: 'Edit your comment' }),
      el('textarea', { id: 'edit-' + id, rows: '5', maxlength: '10000', required: true }),
      el('button', { type: 'submit', text: 'Save' }),
      document.createTextNode(' '),
      el('button', { type: 'button', class: 'link-button edit-cancel', text: 'Cancel' }),
    ]);
    body.hidden = true;
    body.after(editor);
    var textarea = editor.querySelector('textarea');
    ownRequest(id, 'GET').then(function (res) {
      if (res.ok) {
        res.json().then(function (comment) {
          textarea.value = comment.bodySource || body.textContent.trim();
        });
      } else {
        textarea.value = body.textContent.trim();
      }
    });
    textarea.focus();
    editor.querySelector('.edit-cancel').addEventListener('click', function () {
      editor.remove();
      body.hidden = false;
    });
    editor.addEventListener('submit', function (submitEvent) {
      submitEvent.preventDefault();
      ownRequest(id, 'PATCH', { body: textarea.value }).then(function (res) {
        if (!res.ok) {
          ownProblem(li, res);
          return;
        }
        res.json().then(function (comment) {
          // bodyHtml was rendered and sanitized by the server with a strict allowlist.
          body.innerHTML = comment.bodyHtml;
          body.hidden = false;
          editor.remove();
          if (!card.querySelector('.comment-edited')) {
            card
              .querySelector('.comment-meta')
              .appendChild(el('span', { class: 'comment-edited', text: ' (edited)' }));
          }
        });
      });
    });
  });

  // ---- "remember me": name and email kept in this browser only, when asked -------------------

  var REMEMBER_KEY = 'marginalia:remember';
  var rememberBox = form.querySelector('.field-remember');
  var rememberInput = document.getElementById('comment-remember');
  rememberBox.hidden = false;
  try {
    var remembered = JSON.parse(localStorage.getItem(REMEMBER_KEY) || 'null');
    if (remembered) {
      rememberInput.checked = true;
      if (!field('authorName').value) {
        field('authorName').value = remembered.name || '';
      }
      if (!field('authorEmail').value) {
        field('authorEmail').value = remembered.email || '';
      }
    }
  } catch (e) {
    /* nothing remembered */
  }

  function keepIdentity() {
    try {
      if (rememberInput.checked) {
        localStorage.setItem(
          REMEMBER_KEY,
          JSON.stringify({ name: field('authorName').value, email: field('authorEmail').value }),
        );
      } else {
        localStorage.removeItem(REMEMBER_KEY);
      }
    } catch (e) {
      /* private mode */
    }
  }
  rememberInput.addEventListener('change', keepIdentity);

  offerOwnActions();
  enableVotes(thread);
})();
