// The demo's web chat: play a person of the tenant in Teams or Slack through the simulator's
// control API, see Doorman's messages as they would (Adaptive Cards drawn by Microsoft's
// renderer, Block Kit by blockkit.js), and watch the tenant beside it. The page holds no state
// of its own but what that person typed in Slack (the simulator keeps only the bot's side there).
(function () {
  'use strict';

  var POLL_MS = 700;
  var TENANT_POLL_MS = 2000;
  var ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

  var personSelect = document.getElementById('person');
  var platformSelect = document.getElementById('platform');
  var transcript = document.getElementById('transcript');
  var messageBox = document.getElementById('message');
  var notice = document.getElementById('notice');
  var chat = document.getElementById('chat');
  var modal = document.getElementById('modal');
  var escapeHtml = window.BlockKit.escapeHtml;

  // Which person and platform the transcript shows; a change makes earlier answers stale.
  var generation = 0;
  // key -> {signature, element}: what is drawn, so only what changed is drawn again (a card
  // being typed into is left alone).
  var drawn = new Map();
  // Teams cards already looked at, so each is refreshed once, as Teams does when it is shown.
  var refreshed = new Set();
  // Slack views the person closed here.
  var dismissedViews = new Set();

  // === the control API ===

  function api(method, path, body) {
    var init = { method: method, headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
        if (!response.ok) {
          var error = new Error((data && data.error) || (response.status + ' ' + response.statusText));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function person() {
    return personSelect.value;
  }

  function platform() {
    return platformSelect.value;
  }

  function slackIdOf(upn) {
    var option = Array.prototype.find.call(personSelect.options, function (o) { return o.value === upn; });
    return option ? option.dataset.slack : undefined;
  }

  function say(text, isError) {
    notice.textContent = text || '';
    notice.className = isError ? 'error' : '';
  }

  // === text ===

  // Teams text: markdown links, bold and bare web addresses; everything else as typed.
  function teamsMarkdown(text) {
    var html = escapeHtml(text);
    html = html.replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, function (_, label, address) {
      return '<a href="' + address + '" target="_blank" rel="noopener">' + label + '</a>';
    });
    html = html.replace(/(^|[\s(])(https?:\/\/[^\s<>"')]+)/g, function (_, before, address) {
      return before + '<a href="' + address + '" target="_blank" rel="noopener">' + address + '</a>';
    });
    html = html.replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>');
    return html.replace(/\n/g, '<br>');
  }

  // === Adaptive Cards, drawn by the library ===

  var hostConfig = new AdaptiveCards.HostConfig({
    fontFamily: "'Segoe UI', system-ui, -apple-system, 'Helvetica Neue', sans-serif",
    supportsInteractivity: true,
    spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 14 },
    fontSizes: { small: 12, default: 14, medium: 16, large: 18, extraLarge: 22 },
    fontWeights: { lighter: 300, default: 400, bolder: 600 },
    actions: {
      maxActions: 6,
      spacing: 'default',
      buttonSpacing: 8,
      actionsOrientation: 'horizontal',
      actionAlignment: 'left',
      showCard: { actionMode: 'inline', inlineTopMargin: 12 }
    },
    factSet: {
      title: { weight: 'bolder', wrap: true, maxWidth: 130 },
      value: { wrap: true },
      spacing: 12
    },
    containerStyles: {
      default: {
        backgroundColor: '#FFFFFF',
        foregroundColors: {
          default: { default: '#242424', subtle: '#616161' },
          accent: { default: '#5B5FC7', subtle: '#7F85F5' },
          good: { default: '#0E700E', subtle: '#3B7F3B' },
          warning: { default: '#835C00', subtle: '#A67C00' },
          attention: { default: '#C4314B', subtle: '#D35F73' }
        }
      },
      emphasis: {
        backgroundColor: '#F5F5F5',
        foregroundColors: { default: { default: '#242424', subtle: '#616161' } }
      }
    }
  });

  AdaptiveCards.AdaptiveCard.onProcessMarkdown = function (text, result) {
    result.outputHtml = teamsMarkdown(text);
    result.didProcess = true;
  };

  // Every action object of a card, wherever it sits (actions, action sets, show-cards).
  function actionsOf(node, found) {
    found = found || [];
    if (Array.isArray(node)) {
      node.forEach(function (child) { actionsOf(child, found); });
    } else if (node && typeof node === 'object') {
      if (typeof node.type === 'string' && node.type.indexOf('Action.') === 0) found.push(node);
      Object.keys(node).forEach(function (key) {
        if (key !== 'refresh') actionsOf(node[key], found);
      });
    }
    return found;
  }

  // The card's own action object for what the library says was clicked, so the invoke carries
  // exactly what the card holds.
  function originalAction(cardJson, action) {
    var json = action.toJSON() || {};
    var candidates = actionsOf(cardJson).filter(function (candidate) {
      return candidate.type === json.type &&
        (candidate.verb || null) === (json.verb || null) &&
        (candidate.title || null) === (json.title || null) &&
        (!candidate.id || candidate.id === json.id);
    });
    return candidates[0] || json;
  }

  // What was typed into the card's inputs, as {id: value}; inputs left empty are not sent.
  function inputsOfCard(card) {
    var inputs = {};
    card.getAllInputs().forEach(function (input) {
      var value = input.value;
      if (input.id && value !== undefined && value !== null && value !== '') inputs[input.id] = value;
    });
    return inputs;
  }

  function clickTeamsAction(upn, activityId, cardJson, card, action) {
    if (action instanceof AdaptiveCards.OpenUrlAction) {
      window.open(action.url, '_blank', 'noopener');
      return;
    }
    if (!(action instanceof AdaptiveCards.ExecuteAction)) {
      say('This card uses ' + action.getJsonTypeName() + ', which the simulator does not deliver; Doorman\'s cards use Action.Execute.', true);
      return;
    }
    var body = {
      from: upn,
      replyToId: activityId,
      action: originalAction(cardJson, action),
      inputs: inputsOfCard(card)
    };
    api('POST', '/_sim/teams/invoke', body).then(function (answer) {
      var reply = answer && answer.body;
      if (reply && typeof reply.value === 'string') say('Doorman: ' + reply.value);
      else say('');
      poll();
    }).catch(function (error) { say('The click was not delivered: ' + error.message, true); });
  }

  function drawCard(upn, activityId, cardJson) {
    var card = new AdaptiveCards.AdaptiveCard();
    card.hostConfig = hostConfig;
    card.onExecuteAction = function (action) {
      clickTeamsAction(upn, activityId, cardJson, card, action);
    };
    try {
      card.parse(cardJson);
      var rendered = card.render();
      if (rendered) return rendered;
    } catch (error) {
      return textNode('div', 'card-error', 'The card could not be drawn: ' + error.message);
    }
    return textNode('div', 'card-error', 'The card could not be drawn.');
  }

  // The person looks at a card: as Teams does, a card with a refresh action is fetched again
  // for them (once here), so they see it as it is now.
  function lookAt(upn, activity) {
    var key = upn + '|' + activity.id;
    var hasRefresh = (activity.attachments || []).some(function (attachment) {
      return attachment.contentType === ADAPTIVE_CARD && attachment.content && attachment.content.refresh;
    });
    if (!hasRefresh || refreshed.has(key)) return;
    refreshed.add(key);
    api('POST', '/_sim/teams/refresh', { user: upn, activityId: activity.id }).catch(function () {});
  }

  // === drawing the transcript ===

  function textNode(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  function bubble(kind, author) {
    var node = document.createElement('div');
    node.className = kind === 'bot' ? 'bot-message' : 'my-message';
    node.appendChild(textNode('div', 'author', author));
    return node;
  }

  function drawTeamsActivity(upn, activity) {
    var node = bubble('bot', 'Doorman');
    node.dataset.activityId = activity.id;
    if (activity.text) {
      var text = document.createElement('div');
      text.className = 'text';
      text.innerHTML = teamsMarkdown(activity.text);
      node.appendChild(text);
    }
    (activity.attachments || []).forEach(function (attachment) {
      if (attachment.contentType === ADAPTIVE_CARD) {
        var holder = document.createElement('div');
        holder.className = 'card';
        holder.appendChild(drawCard(upn, activity.id, attachment.content));
        node.appendChild(holder);
      } else {
        node.appendChild(textNode('div', 'card-error', 'An attachment of type ' + attachment.contentType));
      }
    });
    return node;
  }

  function drawSlackMessage(upn, message) {
    var node = bubble('bot', 'Doorman');
    node.dataset.ts = message.ts;
    node.appendChild(window.BlockKit.render(message.blocks, message.text, {
      onButton: function (spec, inputs) { clickSlackButton(upn, message.ts, spec, inputs); }
    }));
    return node;
  }

  function drawMine(text) {
    var node = bubble('me', 'You');
    node.appendChild(textNode('div', 'text', text));
    return node;
  }

  // Puts `items` ({key, signature, draw}) in the transcript in order, drawing only what is new
  // or changed.
  function reconcile(items) {
    var wanted = new Set(items.map(function (item) { return item.key; }));
    drawn.forEach(function (entry, key) {
      if (!wanted.has(key)) {
        entry.element.remove();
        drawn.delete(key);
      }
    });
    var atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
    var added = false;
    var previous = null;
    items.forEach(function (item) {
      var entry = drawn.get(item.key);
      if (!entry || entry.signature !== item.signature) {
        var element = item.draw();
        if (entry) entry.element.replaceWith(element);
        else added = true;
        entry = { signature: item.signature, element: element };
        drawn.set(item.key, entry);
      }
      var expected = previous ? previous.nextSibling : transcript.firstChild;
      if (expected !== entry.element) transcript.insertBefore(entry.element, expected);
      previous = entry.element;
    });
    if (added || atBottom) transcript.scrollTop = transcript.scrollHeight;
  }

  // === Teams ===

  function teamsItems(upn) {
    return Promise.all([
      api('GET', '/_sim/teams/conversations/' + encodeURIComponent(upn)),
      api('GET', '/_sim/teams/log')
    ]).then(function (answers) {
      var activities = answers[0] || [];
      // What the person typed in their 1:1 chat: the simulator keeps it in its log.
      var typed = (answers[1] || []).filter(function (entry) {
        return entry.direction === 'to_bot' && entry.type === 'message' && entry.from === upn &&
          entry.activityId && entry.text && String(entry.conversationId).indexOf(';messageid=') < 0;
      });
      var items = typed.map(function (entry) {
        return {
          key: 'me:' + entry.activityId,
          order: Number(entry.activityId),
          signature: entry.text,
          draw: function () { return drawMine(entry.text); }
        };
      }).concat(activities.map(function (activity) {
        return {
          key: 'bot:' + activity.id,
          order: Number(activity.id),
          signature: JSON.stringify(activity),
          activity: activity,
          draw: function () { return drawTeamsActivity(upn, activity); }
        };
      }));
      items.sort(function (a, b) { return a.order - b.order; });
      return items;
    });
  }

  // === Slack ===

  function typedKey(upn) {
    return 'doorman-demo-slack-typed:' + upn;
  }

  function typedInSlack(upn) {
    try {
      return JSON.parse(sessionStorage.getItem(typedKey(upn)) || '[]');
    } catch (_) {
      return [];
    }
  }

  function rememberTyped(upn, ts, text) {
    var typed = typedInSlack(upn);
    typed.push({ ts: ts, text: text });
    try { sessionStorage.setItem(typedKey(upn), JSON.stringify(typed)); } catch (_) { /* kept for this view only */ }
  }

  // Slack timestamps ("seconds.micros") ordered without losing digits to floating point.
  function compareTs(a, b) {
    var left = String(a).split('.');
    var right = String(b).split('.');
    var whole = left[0].padStart(12, '0').localeCompare(right[0].padStart(12, '0'));
    return whole || (left[1] || '').padEnd(6, '0').localeCompare((right[1] || '').padEnd(6, '0'));
  }

  function slackItems(upn) {
    return api('GET', '/_sim/slack/messages?user=' + encodeURIComponent(upn)).then(function (messages) {
      var items = typedInSlack(upn).map(function (typed) {
        return {
          key: 'me:' + typed.ts,
          ts: typed.ts,
          signature: typed.text,
          draw: function () { return drawMine(typed.text); }
        };
      }).concat((messages || []).map(function (message) {
        return {
          key: 'bot:' + message.ts,
          ts: message.ts,
          signature: JSON.stringify(message),
          draw: function () { return drawSlackMessage(upn, message); }
        };
      }));
      items.sort(function (a, b) { return compareTs(a.ts, b.ts); });
      return items;
    });
  }

  function clickSlackButton(upn, messageTs, spec, inputs) {
    var body = { user: upn, message_ts: messageTs, action_id: spec.action_id };
    if (spec.value !== undefined) body.value = spec.value;
    if (Object.keys(inputs).length) body.inputs = inputs;
    api('POST', '/_sim/slack/action', body).then(function () {
      say('');
      poll();
    }).catch(function (error) { say('The click was not delivered: ' + error.message, true); });
  }

  // A modal the bot opened for the person: drawn over the chat until submitted or closed.
  function showViews(upn) {
    var slackId = slackIdOf(upn);
    return api('GET', '/_sim/slack/views').then(function (views) {
      var open = (views || []).filter(function (view) {
        return view.user === slackId && !view.closed && !dismissedViews.has(view.id);
      });
      var view = open[open.length - 1];
      if (!view) {
        modal.hidden = true;
        modal.dataset.viewId = '';
        modal.innerHTML = '';
        return;
      }
      if (modal.dataset.viewId === view.id && !modal.hidden) return;
      drawView(upn, view);
    });
  }

  function drawView(upn, opened) {
    var view = opened.view || {};
    modal.innerHTML = '';
    modal.dataset.viewId = opened.id;
    var box = document.createElement('form');
    box.className = 'slack-modal';
    box.appendChild(textNode('div', 'sk-modal-title', (view.title && view.title.text) || 'Doorman'));
    var surface = window.BlockKit.render(view.blocks, '', { onButton: function () {} });
    box.appendChild(surface);
    var errors = textNode('div', 'sk-errors', '');
    box.appendChild(errors);
    var buttons = document.createElement('div');
    buttons.className = 'sk-modal-buttons';
    var close = textNode('button', 'slack-modal-close', (view.close && view.close.text) || 'Cancel');
    close.type = 'button';
    close.addEventListener('click', function () {
      dismissedViews.add(opened.id);
      modal.hidden = true;
    });
    var submit = textNode('button', 'slack-button sk-primary slack-modal-submit', (view.submit && view.submit.text) || 'Submit');
    submit.type = 'submit';
    buttons.appendChild(close);
    buttons.appendChild(submit);
    box.appendChild(buttons);
    box.addEventListener('submit', function (event) {
      event.preventDefault();
      var values = window.BlockKit.inputsOf(surface);
      api('POST', '/_sim/slack/view', { user: upn, view_id: opened.id, values: values }).then(function (answer) {
        var body = answer && answer.body;
        if (body && body.response_action === 'errors') {
          errors.textContent = Object.keys(body.errors || {}).map(function (key) { return body.errors[key]; }).join(' ');
          return;
        }
        dismissedViews.add(opened.id);
        modal.hidden = true;
        poll();
      }).catch(function (error) { errors.textContent = error.message; });
    });
    modal.appendChild(box);
    modal.hidden = false;
  }

  // === the loop ===

  var polling = false;

  function poll() {
    if (polling) return Promise.resolve();
    polling = true;
    var asked = generation;
    var upn = person();
    var on = platform();
    var work = on === 'teams' ? teamsItems(upn) : slackItems(upn);
    return work.then(function (items) {
      if (asked !== generation) return null;
      reconcile(items);
      if (on === 'teams') {
        items.forEach(function (item) { if (item.activity) lookAt(upn, item.activity); });
        return null;
      }
      return showViews(upn);
    }).catch(function (error) {
      if (asked === generation) say(error.message, true);
    }).then(function () {
      polling = false;
    });
  }

  function loop() {
    poll().then(function () { setTimeout(loop, POLL_MS); });
  }

  function switchView() {
    generation += 1;
    drawn.forEach(function (entry) { entry.element.remove(); });
    drawn.clear();
    modal.hidden = true;
    chat.className = platform();
    var option = personSelect.options[personSelect.selectedIndex];
    var name = option ? option.textContent : '';
    var where = platform() === 'teams' ? 'Microsoft Teams: chat with Doorman' : 'Slack: DM with Doorman';
    document.getElementById('chat-title').textContent = where + ', as ' + name;
    if (platform() === 'slack' && option && !option.dataset.slack) {
      say(name + ' has no Slack account in this workspace; pick someone else or Teams.', true);
    } else {
      say('');
    }
    polling = false;
    poll();
  }

  function markSlackless() {
    Array.prototype.forEach.call(personSelect.options, function (option) {
      option.disabled = platform() === 'slack' && !option.dataset.slack;
    });
  }

  document.getElementById('composer').addEventListener('submit', function (event) {
    event.preventDefault();
    var text = messageBox.value.trim();
    if (!text) return;
    var upn = person();
    var sent = platform() === 'teams'
      ? api('POST', '/_sim/teams/message', { from: upn, text: text })
      : api('POST', '/_sim/slack/message', { user: upn, text: text }).then(function (answer) {
        if (answer && answer.ts) rememberTyped(upn, answer.ts, text);
        return answer;
      });
    messageBox.value = '';
    sent.then(function () {
      say('');
      poll();
    }).catch(function (error) {
      messageBox.value = text;
      say('Not sent: ' + error.message, true);
    });
  });

  document.querySelectorAll('button.example').forEach(function (example) {
    example.addEventListener('click', function () {
      messageBox.value = example.textContent;
      messageBox.focus();
    });
  });

  personSelect.addEventListener('change', switchView);
  platformSelect.addEventListener('change', function () {
    markSlackless();
    switchView();
  });

  // === the tenant beside the chat ===

  var baseline = null;
  var lastShown = {};
  var names = {};

  function nameOf(upn) {
    return names[upn] || upn;
  }

  function showSection(id, html) {
    if (lastShown[id] === html) return;
    lastShown[id] = html;
    document.getElementById(id).innerHTML = html;
  }

  // People now and at the start, as chips: added since the page opened, or removed.
  function chips(now, before) {
    var current = new Set(now || []);
    var earlier = before ? new Set(before) : current;
    var html = Array.from(current).map(function (upn) {
      var added = !earlier.has(upn);
      return '<span class="chip' + (added ? ' added' : '') + '" title="' + escapeHtml(upn) + '">' +
        escapeHtml(nameOf(upn)) + '</span>';
    });
    earlier.forEach(function (upn) {
      if (!current.has(upn)) {
        html.push('<span class="chip removed" title="' + escapeHtml(upn) + '">' + escapeHtml(nameOf(upn)) + '</span>');
      }
    });
    return html.join(' ') || '<span class="none">nobody</span>';
  }

  function byName(list) {
    var keyed = {};
    (list || []).forEach(function (entry) { keyed[entry.id || entry.displayName] = entry; });
    return keyed;
  }

  function groupsHtml(state) {
    var earlier = byName(baseline.groups);
    var teams = new Set((state.teams || []).map(function (team) { return team.groupId; }));
    var rows = (state.groups || []).slice().sort(function (a, b) {
      return String(a.displayName).localeCompare(String(b.displayName));
    }).map(function (group) {
      var before = earlier[group.id || group.displayName] || {};
      var kind = teams.has(group.id) ? 'team' : (group.securityEnabled && !(group.groupTypes || []).length ? 'security group' : 'group');
      return '<tr data-group="' + escapeHtml(group.displayName) + '"><th>' + escapeHtml(group.displayName) +
        ' <small>' + kind + '</small></th><td><div><b>owners</b> ' + chips(group.owners, before.owners) +
        '</div><div class="members"><b>members</b> ' + chips(group.members, before.members) + '</div></td></tr>';
    });
    return '<table>' + rows.concat(channelRows(state)).join('') + '</table>';
  }

  // Private and shared channels keep members of their own.
  function channelRows(state) {
    var earlier = {};
    (baseline.teams || []).forEach(function (team) {
      (team.channels || []).forEach(function (channel) { earlier[channel.id] = channel; });
    });
    var groupNames = {};
    (state.groups || []).forEach(function (group) { groupNames[group.id] = group.displayName; });
    var rows = [];
    (state.teams || []).forEach(function (team) {
      var teamName = team.displayName || groupNames[team.groupId] || '';
      (team.channels || []).filter(function (channel) { return Array.isArray(channel.members); }).forEach(function (channel) {
        var before = earlier[channel.id] || {};
        rows.push('<tr data-channel="' + escapeHtml(channel.displayName) + '"><th>' + escapeHtml(teamName) +
          ' / ' + escapeHtml(channel.displayName || '') + ' <small>' + escapeHtml(channel.membershipType || 'channel') +
          ' channel</small></th><td><div><b>owners</b> ' + chips(channel.owners, before.owners) +
          '</div><div class="members"><b>members</b> ' + chips(channel.members, before.members) + '</div></td></tr>');
      });
    });
    return rows;
  }

  function mailboxesHtml(state) {
    var earlier = byName(baseline.mailboxes);
    var rows = (state.mailboxes || []).map(function (mailbox) {
      var before = earlier[mailbox.id || mailbox.displayName] || {};
      return '<tr><th>' + escapeHtml(mailbox.displayName || mailbox.mail || '') + '</th><td>' +
        '<div><b>Full Access</b> ' + chips(mailbox.fullAccess, before.fullAccess) + '</div>' +
        '<div><b>Send As</b> ' + chips(mailbox.sendAs, before.sendAs) + '</div>' +
        '<div><b>Send on Behalf</b> ' + chips(mailbox.sendOnBehalf, before.sendOnBehalf) + '</div></td></tr>';
    });
    return rows.length ? '<table>' + rows.join('') + '</table>' : '<span class="none">no shared mailboxes</span>';
  }

  function sitesHtml(state) {
    var rows = [];
    (state.sites || []).forEach(function (site) {
      (site.drives || []).forEach(function (drive) {
        var grants = (drive.grants || []).map(function (grant) {
          return '<span class="chip">' + escapeHtml(nameOf(grant.user)) + ': ' + escapeHtml(grant.role) + '</span>';
        }).join(' ') || '<span class="none">only the site\'s group</span>';
        rows.push('<tr><th>' + escapeHtml(site.displayName || site.name || '') + ' / ' +
          escapeHtml(drive.name || '') + '</th><td>' + grants + '</td></tr>');
      });
    });
    return rows.length ? '<table>' + rows.join('') + '</table>' : '<span class="none">no libraries</span>';
  }

  function grantsHtml(grants) {
    if (!grants.length) return '<span class="none">none yet</span>';
    return '<table>' + grants.map(function (grant) {
      var requester = (grant.requester && grant.requester.upn) || '';
      var resource = grant.resource ? grant.resource.name + ' (' + grant.resource.kind + ')' : '';
      var ends = grant.ends_at ? new Date(grant.ends_at).toLocaleString() : 'no end';
      return '<tr><th>' + escapeHtml(grant.id || '') + '</th><td>' + escapeHtml(nameOf(requester)) + ': ' +
        escapeHtml(String(grant.access || '')) + ' on ' + escapeHtml(resource) +
        '<br><small>ends ' + escapeHtml(ends) + '</small></td></tr>';
    }).join('') + '</table>';
  }

  function auditHtml(records) {
    var latest = records.slice(-40).reverse();
    if (!latest.length) return '<span class="none">nothing recorded yet</span>';
    return '<ol class="trail">' + latest.map(function (record) {
      var when = record.at ? new Date(record.at).toLocaleTimeString() : '';
      return '<li><small>' + escapeHtml(when) + '</small> <b>' + escapeHtml(String(record.kind || '')) + '</b> ' +
        escapeHtml(record.request_id || '') + ' <small>by ' + escapeHtml(record.actor || '') + '</small></li>';
    }).join('') + '</ol>';
  }

  function graphWritesHtml(log) {
    var writes = (log || []).filter(function (entry) { return entry.method !== 'GET'; }).slice(-40).reverse();
    if (!writes.length) return '<span class="none">no Graph writes yet</span>';
    return '<ol class="trail">' + writes.map(function (entry) {
      return '<li><b>' + escapeHtml(entry.method) + '</b> ' + escapeHtml(entry.path) + ' <small>' +
        escapeHtml(String(entry.status)) + ' by ' + escapeHtml(entry.user || '') + '</small></li>';
    }).join('') + '</ol>';
  }

  function showDaemonSide() {
    var grants = api('GET', '/_sim/demo/grants').then(function (list) {
      showSection('grants', grantsHtml(list || []));
    }).catch(function (error) {
      showSection('grants', '<span class="none">not available: ' + escapeHtml(error.message) + '</span>');
    });
    var trail = api('GET', '/_sim/demo/audit').then(function (records) {
      document.getElementById('trail-title').textContent = 'Audit trail';
      showSection('trail', auditHtml(records || []));
    }).catch(function () {
      // A simulator without the demo's daemon: what Doorman wrote to Graph is the trail.
      document.getElementById('trail-title').textContent = 'Graph writes (no audit trail here)';
      return api('GET', '/_sim/graph/log').then(function (log) {
        showSection('trail', graphWritesHtml(log));
      });
    });
    return Promise.all([grants, trail]);
  }

  function tenantLoop() {
    api('GET', '/_sim/state').then(function (state) {
      (state.users || []).forEach(function (user) { names[user.userPrincipalName] = user.displayName; });
      if (!baseline) baseline = state;
      showSection('groups', groupsHtml(state));
      showSection('mailboxes', mailboxesHtml(state));
      showSection('sites', sitesHtml(state));
      return showDaemonSide();
    }).catch(function () { /* shown again on the next round */ }).then(function () {
      setTimeout(tenantLoop, TENANT_POLL_MS);
    });
  }

  markSlackless();
  switchView();
  setTimeout(loop, POLL_MS);
  tenantLoop();
})();
