// app.js - cutover's status page: polls the JSON API and redraws every
// environment (live color, weights, each color's health, the active
// deployment's state and step, the last deployments and the latest
// transitions). Read-only.
//
// Every JavaScript error is counted on <html data-js-errors> (and the
// last messages in data-js-error-text), so that a test can tell a page
// that broke from one that works; data-polls counts completed polls.
'use strict';

(function () {
  var root = document.documentElement;
  var errorTexts = [];

  function recordError(text) {
    errorTexts.push(String(text));
    root.setAttribute('data-js-errors', String(errorTexts.length));
    root.setAttribute('data-js-error-text', errorTexts.slice(-5).join(' | ').slice(0, 2000));
  }
  window.addEventListener('error', function (e) {
    recordError((e.message || 'error') + ' at ' + (e.filename || '?') + ':' + (e.lineno || 0));
  });
  window.addEventListener('unhandledrejection', function (e) {
    recordError('unhandled rejection: ' + (e.reason && e.reason.message ? e.reason.message : e.reason));
  });

  var POLL_MS = 1000;
  var HISTORY_EVERY_MS = 10000;
  var HISTORY_LIMIT = 5;
  var histories = {}; // environment -> {key, at, doc}
  var polls = 0;
  var params = new URLSearchParams(window.location.search);
  // ?env=NAME[,NAME...] shows only those environments
  var only = (params.get('env') || '').split(',').filter(function (n) { return n !== ''; });
  // ?selftest=error throws once, so that a test sees the error recorder work
  if (params.get('selftest') === 'error') {
    setTimeout(function () { throw new Error('selftest: a deliberate error'); }, 0);
  }

  // el - a new element with a class and text (text, never HTML: names and
  // reasons come from outside)
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function row(label) {
    var r = el('div', 'row');
    r.appendChild(el('span', 'label', label));
    return r;
  }

  function badge(text, cls) {
    return el('span', 'badge ' + (cls || text), text);
  }

  function seconds(from, to) {
    var a = Date.parse(from), b = Date.parse(to);
    if (isNaN(a) || isNaN(b)) return '-';
    var s = Math.max(0, Math.round((b - a) / 1000));
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }

  function clock(ts) {
    var d = new Date(ts);
    return isNaN(d.getTime()) ? '-' : d.toLocaleString();
  }

  // colorValue - a color's badge and a value after it in row r; the value
  // carries data-env and data-color, so that a test can find it
  function colorValue(r, env, color, cls, text) {
    var v = el('span', cls, text);
    v.setAttribute('data-env', env);
    v.setAttribute('data-color', color);
    r.appendChild(el('span', 'badge ' + color, color));
    r.appendChild(v);
    return v;
  }

  function weightsBar(env, weights) {
    var bar = el('div', 'weights');
    ['blue', 'green'].forEach(function (color) {
      var w = Number(weights && weights[color]) || 0;
      var part = el('div', color);
      part.style.width = w + '%';
      part.title = color + ' ' + w + ' %';
      if (w >= 8) part.textContent = color + ' ' + w + ' %';
      bar.appendChild(part);
    });
    var text = row('weights');
    ['blue', 'green'].forEach(function (color) {
      colorValue(text, env, color, 'weight-value', weights ? weights[color] : '-');
      text.appendChild(el('span', null, '%'));
    });
    return [bar, text];
  }

  // healthState - ok, degraded (fewer healthy than desired), error (the
  // provider could not be read) or unknown (not read yet)
  function healthState(h) {
    if (!h) return 'unknown';
    if (h.error) return 'error';
    return h.healthy < h.desired ? 'degraded' : 'ok';
  }

  // healthRow - each color's health as healthy/desired, with the error if any
  function healthRow(env, health) {
    var r = row('health');
    ['blue', 'green'].forEach(function (color) {
      var h = health && health[color];
      var state = healthState(h);
      var text = state === 'unknown' ? '-' : state === 'error' ? '?' : h.healthy + '/' + h.desired;
      var v = colorValue(r, env, color, 'health-value', text);
      v.setAttribute('data-state', state);
      if (h) v.title = 'since ' + clock(h.changed_at);
      if (state === 'error') r.appendChild(el('span', 'health-error', '(' + h.error + ')'));
    });
    r.appendChild(el('span', 'time', 'healthy/desired'));
    return r;
  }

  // stepOf - "n of N" of a canary that moves traffic, else null
  function stepOf(a) {
    if (!a || !a.steps || !(a.weight > 0)) return null;
    return { n: a.step + 1, total: a.steps };
  }

  function activeRows(env, a) {
    var rows = [];
    var r = row('active');
    if (!a) {
      r.appendChild(el('span', null, 'none'));
      return [r];
    }
    var state = badge(a.state);
    state.setAttribute('data-env', env);
    state.className += ' active-state';
    r.appendChild(state);
    r.appendChild(el('span', null, 'build ' + a.build_id + ', version ' + a.version));
    rows.push(r);
    var s = row('new color');
    s.appendChild(a.new_color ? badge(a.new_color) : el('span', null, '-'));
    s.appendChild(el('span', null, 'at ' + a.weight + ' % asked'));
    rows.push(s);
    var c = row('confirmed');
    var cw = a.confirmed_weights;
    var ct = el('span', 'confirmed-value', cw ? 'blue ' + cw.blue + ' %, green ' + cw.green + ' %'
      : 'nothing read back from the provider yet');
    ct.setAttribute('data-env', env);
    c.appendChild(ct);
    rows.push(c);
    var step = stepOf(a);
    if (step) {
      var p = row('step');
      var bar = el('progress');
      bar.max = step.total;
      bar.value = step.n;
      var label = el('span', 'step-value', step.n + ' of ' + step.total);
      label.setAttribute('data-env', env);
      p.appendChild(label);
      p.appendChild(bar);
      rows.push(p);
    }
    if (a.rollback_ready === true || a.rollback_ready === false) {
      var rb = row('rollback ready');
      var v = el('span', 'rollback-ready', a.rollback_ready ? 'yes' : 'no');
      v.setAttribute('data-env', env);
      v.setAttribute('data-ready', a.rollback_ready ? 'yes' : 'no');
      rb.appendChild(v);
      if (a.rollback_ready_reason) rb.appendChild(el('span', null, '(' + a.rollback_ready_reason + ')'));
      rows.push(rb);
    }
    var u = row('since');
    u.appendChild(el('span', 'time', clock(a.updated_at)));
    rows.push(u);
    return rows;
  }

  function deploymentsTable(doc) {
    var t = el('table');
    var head = el('tr');
    ['build', 'version', 'state', 'reason', 'duration'].forEach(function (h) {
      head.appendChild(el('th', null, h));
    });
    t.appendChild(head);
    (doc.deployments || []).forEach(function (d) {
      var tr = el('tr');
      tr.appendChild(el('td', null, d.build_id));
      tr.appendChild(el('td', null, d.version));
      var s = el('td');
      s.appendChild(badge(d.state));
      tr.appendChild(s);
      tr.appendChild(el('td', 'reason', d.reason || '-'));
      tr.appendChild(el('td', 'time', d.finished_at ? seconds(d.created_at, d.finished_at) : 'running'));
      t.appendChild(tr);
    });
    return t;
  }

  function transitionsList(doc) {
    var all = [];
    (doc.deployments || []).forEach(function (d) {
      (d.transitions || []).forEach(function (t) { all.push({ d: d, t: t }); });
    });
    all.sort(function (x, y) { return x.t.at < y.t.at ? 1 : x.t.at > y.t.at ? -1 : 0; });
    var ol = el('ol', 'transitions');
    all.slice(0, 8).forEach(function (x) {
      var t = x.t;
      var li = el('li');
      li.appendChild(el('span', 'time', clock(t.at) + ' '));
      li.appendChild(el('span', null, (t.from || '∅') + (t.from === t.to ? ' = ' : ' → ') + t.to));
      var who = t.principal ? 'by ' + t.principal + ', signed'
        : t.actor ? t.actor + (t.command ? ', unverified' : '') : '';
      li.appendChild(el('span', null, ' (' + t.event_type + (who ? ', ' + who : '') + ')'));
      if (t.reason) li.appendChild(el('span', null, ': ' + t.reason));
      ol.appendChild(li);
    });
    return ol;
  }

  function card(doc) {
    var env = doc.environment;
    var c = el('section', 'env');
    c.setAttribute('data-env', env);
    var h = el('h2', null, env);
    h.appendChild(badge('live ' + doc.live_color, doc.live_color));
    c.appendChild(h);
    if (doc.signatures && doc.signatures.warning) {
      c.appendChild(el('p', 'security-warning', 'WARNING: ' + doc.signatures.warning));
    }
    weightsBar(env, doc.weights).forEach(function (n) { c.appendChild(n); });
    c.appendChild(healthRow(env, doc.health));
    activeRows(env, doc.active).forEach(function (n) { c.appendChild(n); });
    var hist = histories[env];
    if (hist && hist.doc) {
      c.appendChild(el('h3', null, 'last deployments'));
      c.appendChild(deploymentsTable(hist.doc));
      c.appendChild(el('h3', null, 'latest transitions'));
      c.appendChild(transitionsList(hist.doc));
    }
    return c;
  }

  // unreachable - an error of the server or the network (not of this code)
  function unreachable(text) {
    var e = new Error(text);
    e.unreachable = true;
    return e;
  }

  function getJSON(url) {
    return fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw unreachable(url + ': HTTP ' + r.status);
        return r.json();
      }, function (e) {
        throw unreachable(url + ': ' + e.message);
      });
  }

  // historyKey - what changes when an environment's history does
  function historyKey(doc) {
    var a = doc.active || {}, f = doc.last_finished || {};
    return [a.id, a.state, a.updated_at, f.id, f.finished_at].join('|');
  }

  function refreshHistories(envs) {
    var now = Date.now();
    var due = envs.filter(function (doc) {
      var h = histories[doc.environment];
      return !h || h.key !== historyKey(doc) || now - h.at > HISTORY_EVERY_MS;
    });
    return Promise.all(due.map(function (doc) {
      var url = '/api/v1/environments/' + encodeURIComponent(doc.environment) +
        '/history?limit=' + HISTORY_LIMIT;
      return getJSON(url).then(function (hist) {
        histories[doc.environment] = { key: historyKey(doc), at: now, doc: hist };
      });
    }));
  }

  // shown - the environments to draw: those of ?env= (all without it),
  // those with a deployment in flight first, then by name
  function shown(envs) {
    return envs.filter(function (doc) {
      return only.length === 0 || only.indexOf(doc.environment) >= 0;
    }).sort(function (x, y) {
      var ax = x.active ? 0 : 1, ay = y.active ? 0 : 1;
      if (ax !== ay) return ax - ay;
      return x.environment < y.environment ? -1 : x.environment > y.environment ? 1 : 0;
    });
  }

  function render(envs) {
    var main = document.getElementById('environments');
    var cards = envs.map(card);
    if (cards.length === 0) cards = [el('p', 'empty', 'No environment yet (cutover env apply).')];
    main.replaceChildren.apply(main, cards);
  }

  function setConn(state, text) {
    var c = document.getElementById('conn');
    c.setAttribute('data-state', state);
    c.textContent = text;
  }

  function poll() {
    getJSON('/api/v1/environments')
      .then(function (doc) {
        var envs = shown(doc.environments || []);
        return refreshHistories(envs).then(function () { return envs; });
      })
      .then(function (envs) {
        render(envs);
        polls += 1;
        root.setAttribute('data-polls', String(polls));
        setConn('ok', 'live');
        document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
      })
      .catch(function (e) {
        if (!e.unreachable) recordError(e && e.stack ? e.stack : e);
        setConn('error', e.unreachable ? 'no answer: ' + e.message : 'page error: ' + e.message);
      })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  poll();
})();
