/*
 * The wall display (大屏模式, templates/dashboard/wall.html): draws the cockpit's figures from the
 * API's summary (first from the page's own copy, #wall-data) and keeps them current without
 * reloading the page. Between rollup runs it asks only the small version endpoint
 * (body[data-version-url], every data-poll-ms milliseconds); when the version changes it fetches
 * the figures (body[data-api]) once and redraws. Every visible string comes translated in the
 * data (labels.*); this file holds none of its own. Plain ES2017, no build step.
 */
(function () {
  'use strict';

  const RAG_COLOURS = { green: '#198754', amber: '#ffc107', orange: '#fd7e14', red: '#dc3545', none: '#6c757d' };
  const body = document.body;
  const lang = document.documentElement.lang || undefined;
  const yiFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const wanFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const charts = {};
  let labels = {};
  let version = null;

  function num(v) { return v === null || v === undefined ? null : Number(v); }
  function yi(v) { const n = num(v); return n === null ? '—' : yiFormat.format(n / 1e8); }
  function wan(v) { const n = num(v); return n === null ? null : Math.round(n / 100) / 100; }
  function pct(v) { const n = num(v); return n === null ? '—' : n.toFixed(1) + '%'; }

  function field(name, text) {
    document.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.remove('wall-updated');
        void el.offsetWidth; // restart the highlight
        el.classList.add('wall-updated');
      }
    });
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function draw(summary) {
    const t = summary.totals;
    version = summary.version;
    field('data_as_of', summary.data_as_of ? summary.data_as_of.slice(0, 16).replace('T', ' ') : '—');
    field('planned', yi(t.planned));
    field('projects', String(t.projects));
    field('completed_ytd', yi(t.completed_ytd));
    field('completion_pct', pct(t.completion_pct));
    field('elapsed_pct', pct(summary.elapsed_pct));
    field('forecast', yi(summary.forecast));
    field('forecast_pct', summary.forecast_pct === null ? '' :
      (labels.at_this_pace || '%(pct)s').replace('%(pct)s', pct(summary.forecast_pct)));
    field('red_total', String(summary.red_total));
    document.querySelectorAll('[data-rag]').forEach(function (el) {
      const key = el.getAttribute('data-rag');
      el.textContent = String(t.rag[key]);
      el.title = (labels.rag || {})[key] || key;
    });
    cards(summary.function_cards || []);
    redList(summary.red_list || []);
    monthly(summary.monthly || []);
    subsidiaries(summary.subsidiaries || []);
  }

  function cards(items) {
    const box = document.querySelector('[data-testid="wall-cards"]');
    box.replaceChildren.apply(box, items.map(function (c) {
      const card = element('div', 'wall-card');
      card.appendChild(element('div', 'wall-label', c.label));
      const value = element('div', 'wall-value' + (c.available ? '' : ' muted'), c.available ? c.text : '—');
      value.setAttribute('data-testid', 'wall-card-' + c.key);
      card.appendChild(value);
      return card;
    }));
  }

  function redList(rows) {
    const list = document.querySelector('[data-testid="wall-red-list"]');
    if (!rows.length) {
      list.replaceChildren(element('li', 'cause', labels.no_red || ''));
      return;
    }
    list.replaceChildren.apply(list, rows.slice(0, 8).map(function (r) {
      const li = element('li');
      const dot = element('span', 'wall-dot');
      dot.style.background = RAG_COLOURS[r.rag] || RAG_COLOURS.none;
      li.appendChild(dot);
      li.appendChild(element('span', 'code', r.code + ' '));
      li.appendChild(element('span', '', r.name + ' · ' + r.owner_name));
      li.appendChild(element('span', 'cause', r.causes.map(function (c) { return c.text; }).join('；')));
      return li;
    }));
  }

  function chart(id) {
    if (typeof echarts === 'undefined') return null;
    if (!charts[id]) {
      const el = document.getElementById(id);
      if (!el) return null;
      charts[id] = echarts.init(el, 'dark', { renderer: 'svg', locale: /^zh/i.test(lang || '') ? 'ZH' : 'EN' });
    }
    return charts[id];
  }

  const TEXT = { fontSize: 16 };

  function monthly(months) {
    const c = chart('wall-monthly');
    if (!c) return;
    c.setOption({
      backgroundColor: 'transparent', animation: false, textStyle: TEXT,
      color: ['#9ec5fe', '#4fc3ff'], legend: { top: 0, textStyle: TEXT },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: labels.months, boundaryGap: false, axisLabel: TEXT },
      yAxis: { type: 'value', name: labels.unit, axisLabel: TEXT },
      series: [
        { type: 'line', name: labels.planned_cumulative, symbol: 'none', lineStyle: { type: 'dashed', width: 3 },
          data: months.map(function (m) { return wan(m.planned_to_date); }) },
        { type: 'line', name: labels.completed_cumulative, symbolSize: 8, lineStyle: { width: 4 },
          areaStyle: { opacity: 0.2 }, data: months.map(function (m) { return wan(m.completed_ytd); }) },
      ],
    }, true);
  }

  function subsidiaries(rows) {
    const c = chart('wall-subsidiary');
    if (!c) return;
    c.setOption({
      backgroundColor: 'transparent', animation: false, textStyle: TEXT,
      color: ['#9ec5fe', '#4fc3ff'], legend: { top: 0, textStyle: TEXT },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: 'value', axisLabel: Object.assign({ formatter: function (v) { return wanFormat.format(v); } }, TEXT) },
      yAxis: { type: 'category', inverse: true, axisLabel: TEXT,
               data: rows.map(function (r) { return r.short_name; }) },
      series: [
        { type: 'bar', name: labels.planned, data: rows.map(function (r) { return wan(r.planned); }) },
        { type: 'bar', name: labels.completed, data: rows.map(function (r) { return wan(r.completed_ytd); }) },
      ],
    }, true);
  }

  function get(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (response) { return response.ok ? response.json() : null; });
  }

  function poll() {
    get(body.getAttribute('data-version-url')).then(function (found) {
      if (found && found.version !== version) {
        return get(body.getAttribute('data-api')).then(function (summary) { if (summary) draw(summary); });
      }
      return null;
    }).catch(function () { /* the network is down: the screen keeps the last figures */ })
      .then(function () { setTimeout(poll, Number(body.getAttribute('data-poll-ms')) || 30000); });
  }

  function start() {
    const data = JSON.parse(document.getElementById('wall-data').textContent);
    labels = data.labels || {};
    draw(data.summary);
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
    setTimeout(poll, Number(body.getAttribute('data-poll-ms')) || 30000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
