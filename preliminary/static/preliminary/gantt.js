/*
 * The Gantt view (甘特图) of a project's permit checklist, drawn with the vendored Apache
 * ECharts 5.6.0. The page provides <div id="permit-gantt"> and its data as
 * {{ gantt|json_script:"permit-gantt-data" }}: rows [{name, status, planned: [from, to] | null,
 * actual: [from, to] | null, late}], today, and labels already translated on the server.
 * Planned bars: the type's typical working days before the planned date; actual bars: from
 * the submission to the approval (or today while open). No text of its own.
 */
(function () {
  'use strict';

  const PLANNED = '#9ec5fe';
  const ACTUAL = '#0b4f8a';
  const LATE = '#dc3545';
  const DAY = 24 * 3600 * 1000;

  function draw() {
    const el = document.getElementById('permit-gantt');
    const source = document.getElementById('permit-gantt-data');
    if (!el || !source || !window.echarts) return;
    const data = JSON.parse(source.textContent);
    const rows = data.rows.slice().reverse(); // the first item on top
    const names = rows.map(function (r) { return r.name; });
    const planned = [];
    const actual = [];
    rows.forEach(function (r, i) {
      if (r.planned) planned.push({ value: [i, r.planned[0], r.planned[1]], name: r.name });
      if (r.actual) {
        actual.push({ value: [i, r.actual[0], r.actual[1]], name: r.name, status: r.status,
          itemStyle: { color: r.late ? LATE : ACTUAL } });
      }
    });
    if (!planned.length && !actual.length) {
      el.style.height = 'auto';
      el.className += ' text-muted small';
      el.textContent = data.labels.no_data;
      return;
    }

    function bar(offset) {
      return function (params, api) {
        const row = api.value(0);
        const start = api.coord([api.value(1), row]);
        const end = api.coord([api.value(2), row]);
        const height = api.size([0, 1])[1] * 0.3;
        const shape = echarts.graphic.clipRectByRect({
          x: start[0], y: start[1] + offset * height - height / 2,
          width: Math.max(end[0] - start[0], 3), height: height,
        }, {
          x: params.coordSys.x, y: params.coordSys.y,
          width: params.coordSys.width, height: params.coordSys.height,
        });
        return shape && { type: 'rect', shape: shape, style: api.style() };
      };
    }

    // On a phone the permit names would take the whole width: cut them (the tooltip keeps
    // the full name) and let the time axis drop labels that would overlap.
    function labelWidth() {
      return Math.max(60, Math.min(220, Math.round(el.clientWidth * 0.32)));
    }

    const chart = echarts.init(el, null, { renderer: 'svg' });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 24, top: 32, bottom: 24, containLabel: true },
      legend: { top: 0, data: [data.labels.planned, data.labels.actual] },
      tooltip: {
        confine: true,
        formatter: function (p) {
          return p.name + '<br>' + p.seriesName + ': ' + p.value[1] + ' → ' + p.value[2] +
            (p.data.status ? ' (' + p.data.status + ')' : '');
        },
      },
      xAxis: { type: 'time', minInterval: DAY, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'category', data: names, axisTick: { show: false },
        axisLabel: { width: labelWidth(), overflow: 'truncate' } },
      series: [
        { name: data.labels.planned, type: 'custom', renderItem: bar(-0.6), encode: { x: [1, 2], y: 0 },
          itemStyle: { color: PLANNED }, data: planned,
          markLine: { symbol: 'none', silent: true, label: { formatter: data.labels.today },
            lineStyle: { color: '#6c757d', type: 'dashed' }, data: [{ xAxis: data.today }] } },
        { name: data.labels.actual, type: 'custom', renderItem: bar(0.6), encode: { x: [1, 2], y: 0 },
          itemStyle: { color: ACTUAL }, data: actual },
      ],
    });
    window.addEventListener('resize', function () {
      chart.setOption({ yAxis: { axisLabel: { width: labelWidth() } } });
      chart.resize();
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', draw);
  } else {
    draw();
  }
})();
