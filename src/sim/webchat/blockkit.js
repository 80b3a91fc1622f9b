// Block Kit as Slack draws it, for the demo's web chat: headers, sections (text, fields, a
// button or select accessory), context, dividers, actions (buttons as `button.slack-button`,
// static selects), inputs, rich text and images (their alt text: the page fetches nothing from
// outside). A click calls `onButton(element, inputs)`, with what was typed or picked in the
// surface as Slack's `state.values` has it, by action_id.
(function () {
  'use strict';

  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;');
  }

  // Slack escapes &, < and > in message text; they are decoded before escaping for HTML.
  function unescapeSlack(text) {
    return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }

  function isWebAddress(target) {
    return /^https?:\/\//i.test(target);
  }

  function anchor(href, label) {
    return '<a href="' + escapeHtml(href) + '" target="_blank" rel="noopener">' +
      escapeHtml(label) + '</a>';
  }

  // Bold, italics, strike-through, code and bare web addresses in one stretch of plain text.
  function styled(text) {
    var html = escapeHtml(unescapeSlack(text));
    html = html.replace(/`([^`\n]+)`/g, '<code>$1</code>');
    html = html.replace(/(^|[\s(])\*([^*\n]+)\*(?=[\s).,!?:;]|$)/g, '$1<strong>$2</strong>');
    html = html.replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,!?:;]|$)/g, '$1<em>$2</em>');
    html = html.replace(/(^|[\s(])~([^~\n]+)~(?=[\s).,!?:;]|$)/g, '$1<del>$2</del>');
    html = html.replace(/(^|[\s(])(https?:\/\/[^\s<>"']+)/g, function (_, before, address) {
      return before + '<a href="' + address + '" target="_blank" rel="noopener">' + address + '</a>';
    });
    return html;
  }

  // Slack's mrkdwn: `<address|label>` links, `<@U…>` mentions, `<#C…>` channels, then styling.
  function mrkdwn(text) {
    var pattern = /<([^<>|]+)(?:\|([^<>]*))?>/g;
    var html = '';
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      html += styled(text.slice(last, match.index));
      var target = unescapeSlack(match[1]);
      var label = match[2] ? unescapeSlack(match[2]) : '';
      if (isWebAddress(target)) {
        html += anchor(target, label || target);
      } else if (target.charAt(0) === '@') {
        html += '<span class="sk-mention">@' + escapeHtml(label || target.slice(1)) + '</span>';
      } else if (target.charAt(0) === '#') {
        html += '<span class="sk-mention">#' + escapeHtml(label || target.slice(1)) + '</span>';
      } else {
        html += escapeHtml(label || target);
      }
      last = pattern.lastIndex;
    }
    html += styled(text.slice(last));
    return html.replace(/\n/g, '<br>');
  }

  function element(tag, className, html) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (html !== undefined) node.innerHTML = html;
    return node;
  }

  function textHtml(text) {
    if (!text) return '';
    if (text.type === 'mrkdwn') return mrkdwn(text.text || '');
    return escapeHtml(text.text || '').replace(/\n/g, '<br>');
  }

  function button(spec, surface, handlers) {
    var node = element('button', 'slack-button');
    node.type = 'button';
    node.textContent = (spec.text && spec.text.text) || spec.action_id || 'Button';
    if (spec.style === 'primary') node.classList.add('sk-primary');
    if (spec.style === 'danger') node.classList.add('sk-danger');
    node.dataset.actionId = spec.action_id || '';
    node.addEventListener('click', function () {
      if (spec.confirm && !window.confirm(confirmText(spec.confirm))) return;
      // A link button opens its address and, as in Slack, still tells the app it was clicked.
      if (spec.url) window.open(spec.url, '_blank', 'noopener');
      handlers.onButton(spec, inputsOf(surface));
    });
    return node;
  }

  function confirmText(confirm) {
    var parts = [confirm.title, confirm.text].filter(Boolean).map(function (text) {
      return text.text || '';
    });
    return parts.join('\n\n') || 'Are you sure?';
  }

  // What was typed or picked in the surface's inputs, as Slack reports them in `state.values`
  // by action_id: a text input's value, a select's `{selected_option}`.
  function inputsOf(surface) {
    var inputs = {};
    surface.querySelectorAll('[data-input-action-id]').forEach(function (field) {
      if (field.value === '') return;
      inputs[field.dataset.inputActionId] = field.slackOptions
        ? { selected_option: field.slackOptions[Number(field.value)] }
        : field.value;
    });
    return inputs;
  }

  // A `static_select`: its options (groups flattened), its placeholder first and chosen by
  // default, or its `initial_option`.
  function staticSelect(spec) {
    var field = document.createElement('select');
    field.className = 'sk-select';
    var placeholder = document.createElement('option');
    placeholder.value = '';
    placeholder.textContent = (spec.placeholder && spec.placeholder.text) || 'Select an item';
    field.appendChild(placeholder);
    var options = (spec.options || []).slice();
    (spec.option_groups || []).forEach(function (group) {
      options = options.concat(group.options || []);
    });
    options.forEach(function (option, index) {
      var item = document.createElement('option');
      item.value = String(index);
      item.textContent = (option.text && option.text.text) || option.value;
      if (spec.initial_option && spec.initial_option.value === option.value) item.selected = true;
      field.appendChild(item);
    });
    field.slackOptions = options;
    field.dataset.inputActionId = spec.action_id || '';
    return field;
  }

  function image(spec) {
    return element('span', 'sk-image', '[image: ' + escapeHtml(spec.alt_text || 'image') + ']');
  }

  function accessory(spec, surface, handlers) {
    if (spec.type === 'button') return button(spec, surface, handlers);
    if (spec.type === 'image') return image(spec);
    if (spec.type === 'static_select') return staticSelect(spec);
    return element('span', 'sk-unsupported', '[' + escapeHtml(spec.type) + ']');
  }

  function input(block) {
    var wrapper = element('label', 'sk-input');
    wrapper.appendChild(element('span', 'sk-label', textHtml(block.label)));
    var spec = block.element || {};
    var field;
    if (spec.type === 'plain_text_input') {
      field = document.createElement(spec.multiline ? 'textarea' : 'input');
      if (!spec.multiline) field.type = 'text';
      if (spec.max_length) field.maxLength = spec.max_length;
      if (spec.placeholder) field.placeholder = spec.placeholder.text || '';
      if (spec.initial_value) field.value = spec.initial_value;
      field.dataset.inputActionId = spec.action_id || '';
    } else if (spec.type === 'static_select') {
      field = staticSelect(spec);
    } else {
      field = element('span', 'sk-unsupported', '[' + escapeHtml(spec.type || 'input') + ']');
    }
    wrapper.appendChild(field);
    if (block.hint) wrapper.appendChild(element('span', 'sk-hint', textHtml(block.hint)));
    return wrapper;
  }

  function richText(block) {
    var text = '';
    (block.elements || []).forEach(function (section) {
      (section.elements || []).forEach(function (part) {
        if (part.type === 'text') text += part.text || '';
        else if (part.type === 'link') text += '<' + part.url + '|' + (part.text || part.url) + '>';
      });
      text += '\n';
    });
    return element('div', 'sk-section', mrkdwn(text.trim()));
  }

  function block(spec, surface, handlers) {
    switch (spec.type) {
      case 'header':
        return element('div', 'sk-header', textHtml(spec.text));
      case 'section': {
        var section = element('div', 'sk-section');
        var body = element('div', 'sk-section-body');
        if (spec.text) body.appendChild(element('div', 'sk-text', textHtml(spec.text)));
        if (spec.fields && spec.fields.length) {
          var fields = element('div', 'sk-fields');
          spec.fields.forEach(function (field) {
            fields.appendChild(element('div', 'sk-field', textHtml(field)));
          });
          body.appendChild(fields);
        }
        section.appendChild(body);
        if (spec.accessory) section.appendChild(accessory(spec.accessory, surface, handlers));
        return section;
      }
      case 'context': {
        var context = element('div', 'sk-context');
        (spec.elements || []).forEach(function (part) {
          context.appendChild(part.type === 'image' ? image(part) : element('span', '', textHtml(part)));
        });
        return context;
      }
      case 'divider':
        return element('hr', 'sk-divider');
      case 'actions': {
        var actions = element('div', 'sk-actions');
        (spec.elements || []).forEach(function (part) {
          actions.appendChild(accessory(part, surface, handlers));
        });
        return actions;
      }
      case 'input':
        return input(spec);
      case 'image':
        return image(spec);
      case 'rich_text':
        return richText(spec);
      default:
        return element('div', 'sk-unsupported', '[' + escapeHtml(spec.type || 'block') + ' block]');
    }
  }

  // A message (or a modal's body): its blocks, or its text when it has none.
  function render(blocks, text, handlers) {
    var surface = element('div', 'sk-surface');
    if (blocks && blocks.length) {
      blocks.forEach(function (spec) {
        surface.appendChild(block(spec, surface, handlers));
      });
    } else {
      surface.appendChild(element('div', 'sk-text', mrkdwn(text || '')));
    }
    return surface;
  }

  window.BlockKit = { render: render, mrkdwn: mrkdwn, escapeHtml: escapeHtml, inputsOf: inputsOf };
})();
