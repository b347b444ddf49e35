/*
 * Group cockpit (领导驾驶舱) charts, drawn with the vendored Apache ECharts 5.6.0.
 *
 * The page provides (see templates/dashboard/cockpit.html):
 *   - containers <div class="cockpit-chart" id="chart-subsidiary|chart-monthly|chart-status|chart-map">,
 *     any of which may be missing;
 *   - the data as {{ charts|json_script:"cockpit-charts" }}: amounts in 万元 and every visible
 *     string already translated on the server (labels.*, names, months, rag_names); the map's
 *     points inline (map.points) or at map.points_url (the cockpit's page loads them apart).
 * A chart is drawn when its container and its key in the data are both there; if its data is
 * empty it shows labels.no_data instead. This file holds no user-visible text of its own.
 *
 * Plain ES2017, no build step. SVG renderer (crisp in print); charts follow window resizes and,
 * before printing, drop animation and scale into their boxes.
 */
(function () {
  'use strict';

  const RAG_COLOURS = {
    green: '#198754', amber: '#ffc107', orange: '#fd7e14', red: '#dc3545', none: '#adb5bd',
  };
  const RAG_ORDER = ['green', 'amber', 'orange', 'red', 'none'];
  const PLANNED_COLOUR = '#9ec5fe';
  const COMPLETED_COLOUR = '#0b4f8a';
  const MUTED = '#6c757d';
  const MAP_GRID = { left: 64, right: 24, top: 40, bottom: 32 };

  const lang = document.documentElement.lang || undefined;
  const amountFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  const axisFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const reducedMotion = window.matchMedia &&
    window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  const drawn = []; // {chart, el, refit?}

  function isNumber(v) {
    return typeof v === 'number' && isFinite(v);
  }

  function hasValue(values) {
    return Array.isArray(values) && values.some(function (v) { return isNumber(v) && v !== 0; });
  }

  function go(url) {
    if (url) window.location.assign(url);
  }

  function escape(text) {
    return echarts.format.encodeHTML(text == null ? '' : String(text));
  }

  // Options every chart shares, merged under the chart's own.
  function base(option) {
    return Object.assign({
      aria: { enabled: true },
      animation: !reducedMotion,
      // The page's own font (ECharts also measures text with it, so it must be a real name).
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily || 'sans-serif' },
    }, option);
  }

  // Screen-reader description (ECharts' own, in the page's language) without the category
  // index that it would otherwise read out next to each value.
  function ariaValuesOnly(categoryDim, count) {
    return {
      enabled: true,
      label: { data: { excludeDimensionId: [categoryDim], maxCount: Math.max(count, 10) } },
    };
  }

  function noData(text) {
    return base({
      aria: { enabled: true, label: { description: text } },
      title: {
        text: text, left: 'center', top: 'middle',
        textStyle: { color: MUTED, fontSize: 14, fontWeight: 'normal' },
      },
    });
  }

  function init(id, build) {
    const el = document.getElementById(id);
    if (!el) return;
    const chart = echarts.init(el, null, {
      renderer: 'svg',
      locale: /^zh/i.test(lang || '') ? 'ZH' : 'EN',
    });
    const entry = { chart: chart, el: el };
    const option = build(chart, entry);
    chart.setOption(option);
    if (entry.refit) entry.refit();
    drawn.push(entry);
  }

  /* 1. Planned vs completed per subsidiary; a click on a bar or a name drills down. */
  function subsidiaryChart(data, labels) {
    return function (chart) {
      const names = data.names || [];
      if (!names.length || !(hasValue(data.planned) || hasValue(data.completed))) {
        return noData(labels.no_data);
      }
      const urls = data.urls || [];
      chart.on('click', function (params) {
        if (params.componentType === 'series') go(urls[params.dataIndex]);
        else if (params.componentType === 'yAxis') go(urls[names.indexOf(params.value)]);
      });
      return base({
        aria: ariaValuesOnly(1, names.length),
        color: [PLANNED_COLOUR, COMPLETED_COLOUR],
        legend: { top: 0 },
        grid: { left: 8, right: 24, top: 32, bottom: 24, containLabel: true },
        tooltip: {
          trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true,
          valueFormatter: amount(labels.unit),
        },
        xAxis: {
          type: 'value', name: labels.unit, nameLocation: 'middle', nameGap: 26, splitNumber: 4,
          axisLabel: { hideOverlap: true, formatter: function (v) { return axisFormat.format(v); } },
        },
        yAxis: {
          type: 'category', data: names, inverse: true, triggerEvent: true,
          axisLabel: { width: 110, overflow: 'truncate' },
        },
        series: [
          { type: 'bar', name: labels.planned, data: data.planned || [], barGap: '10%', cursor: 'pointer' },
          { type: 'bar', name: labels.completed, data: data.completed || [], cursor: 'pointer' },
        ],
      });
    };
  }

  function amount(unit) {
    return function (v) {
      return isNumber(v) ? amountFormat.format(v) + ' ' + unit : '—';
    };
  }

  /* 2. Cumulative planned (dashed) vs cumulative completed (solid, filled); null = not reported yet. */
  function monthlyChart(data, labels) {
    return function () {
      if (!(data.months || []).length ||
          !(hasValue(data.planned_cumulative) || hasValue(data.completed_cumulative))) {
        return noData(labels.no_data);
      }
      return base({
        aria: ariaValuesOnly(0, data.months.length),
        color: [PLANNED_COLOUR, COMPLETED_COLOUR],
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        tooltip: { trigger: 'axis', confine: true, valueFormatter: amount(labels.unit) },
        xAxis: { type: 'category', data: data.months, boundaryGap: false },
        yAxis: {
          type: 'value', name: labels.unit,
          axisLabel: { formatter: function (v) { return axisFormat.format(v); } },
        },
        series: [
          {
            type: 'line', name: labels.planned_cumulative, data: data.planned_cumulative || [],
            symbol: 'none', lineStyle: { type: 'dashed', width: 2 },
          },
          {
            type: 'line', name: labels.completed_cumulative, data: data.completed_cumulative || [],
            connectNulls: false, symbolSize: 6, lineStyle: { width: 3 },
            areaStyle: { opacity: 0.15 },
          },
        ],
      });
    };
  }

  /* 3. Projects by RAG status, as a donut. */
  function statusChart(data, labels) {
    return function () {
      const items = (data || []).filter(function (s) { return isNumber(s.value); });
      if (!items.some(function (s) { return s.value > 0; })) return noData(labels.no_data);
      return base({
        legend: { bottom: 0 },
        tooltip: {
          trigger: 'item', confine: true,
          formatter: function (p) {
            return p.marker + escape(p.name) + ': ' + amountFormat.format(p.value) + ' (' + p.percent + '%)';
          },
        },
        series: [{
          // Names are in the legend and the tooltip; the ring carries just the counts, which
          // stay legible in a narrow (printed) box.
          type: 'pie', radius: ['42%', '66%'], center: ['50%', '45%'],
          avoidLabelOverlap: true,
          label: { formatter: '{c}' }, labelLine: { length: 6, length2: 6 },
          data: items.map(function (s) {
            return {
              name: s.name, value: s.value,
              itemStyle: { color: RAG_COLOURS[s.key] || RAG_COLOURS.none },
              label: { show: s.value > 0 }, labelLine: { show: s.value > 0 },
            };
          }),
        }],
      });
    };
  }

  /* 4. Project locations: a scatter on longitude/latitude (no tiles offline), one series per RAG. */
  function mapChart(data, labels) {
    return function (chart, entry) {
      // Points come compact, [lng, lat, rag, code, name, id], with one URL template for all.
      const points = (data.points || []).map(function (p) {
        if (!Array.isArray(p)) return p;
        return { lng: p[0], lat: p[1], rag: p[2], code: p[3], name: p[4],
                 url: (data.url_template || '').replace('{id}', p[5]) };
      }).filter(function (p) { return isNumber(p.lng) && isNumber(p.lat); });
      if (!points.length) return noData(labels.no_data);
      const ragNames = data.rag_names || {};
      const keys = RAG_ORDER.filter(function (k) {
        return points.some(function (p) { return (RAG_COLOURS[p.rag] ? p.rag : 'none') === k; });
      });
      chart.on('click', function (params) {
        if (params.componentType === 'series' && params.data) go(params.data.url);
      });
      entry.refit = function () { chart.setOption(fitAxes(chart, points)); };
      if (data.outlines) drawOutlines(chart, data.outlines);
      const degrees = function (v) { return parseFloat(v.toFixed(3)) + '°'; };
      const axisLabel = { formatter: degrees, showMinLabel: false, showMaxLabel: false };
      return base({
        legend: { top: 0, data: keys.map(function (k) { return ragNames[k] || k; }) },
        grid: MAP_GRID,
        tooltip: {
          trigger: 'item', confine: true,
          formatter: function (p) {
            return p.marker + escape(p.data.name) + '<br>' + escape(p.data.code);
          },
        },
        xAxis: { type: 'value', scale: true, axisLabel: axisLabel },
        yAxis: { type: 'value', scale: true, axisLabel: axisLabel },
        series: keys.map(function (k) {
          return {
            type: 'scatter', name: ragNames[k] || k, symbolSize: 12, cursor: 'pointer',
            itemStyle: { color: RAG_COLOURS[k], borderColor: '#fff', borderWidth: 1, opacity: 0.9 },
            emphasis: { scale: 1.5 },
            data: points
              .filter(function (p) { return (RAG_COLOURS[p.rag] ? p.rag : 'none') === k; })
              .map(function (p) { return { name: p.name, code: p.code, url: p.url, value: [p.lng, p.lat] }; }),
          };
        }),
      });
    };
  }

  // The city's districts (polygons, named) and its river (lines) under the points, from a
  // static GeoJSON file: a custom series in the same longitude/latitude axes, silent to clicks.
  function drawOutlines(chart, url) {
    fetch(url, { credentials: 'same-origin' }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (geo) {
      if (!geo || !geo.features || chart.isDisposed()) return;
      const shapes = geo.features.filter(function (f) {
        return f.geometry && (f.geometry.type === 'Polygon' || f.geometry.type === 'LineString');
      }).map(function (f) {
        const polygon = f.geometry.type === 'Polygon';
        return { name: (f.properties || {}).name || '', polygon: polygon,
                 points: polygon ? f.geometry.coordinates[0] : f.geometry.coordinates };
      });
      const current = chart.getOption().series || [];
      chart.setOption({ series: current.concat([{
        type: 'custom', name: '__outlines', silent: true, z: 0, clip: true,
        coordinateSystem: 'cartesian2d', data: shapes.map(function (s, i) { return [i]; }),
        renderItem: function (params, api) {
          const shape = shapes[params.dataIndex];
          const points = shape.points.map(function (p) { return api.coord(p); });
          if (!shape.polygon) {
            return { type: 'polyline', shape: { points: points },
                     style: { stroke: '#9ec5fe', lineWidth: 6, fill: null, opacity: 0.8 } };
          }
          const centre = points.reduce(function (sum, p) {
            return [sum[0] + p[0] / points.length, sum[1] + p[1] / points.length];
          }, [0, 0]);
          return { type: 'group', children: [
            { type: 'polygon', shape: { points: points },
              style: { fill: 'rgba(13,110,253,0.04)', stroke: '#adb5bd', lineWidth: 1 } },
            { type: 'text', x: centre[0], y: centre[1],
              style: { text: shape.name, fill: '#6c757d', font: '12px sans-serif',
                       align: 'center', verticalAlign: 'middle' } },
          ] };
        },
      }]) });
    }).catch(function () { /* no outlines: the points still show */ });
  }

  // Axis ranges around the points with a margin, widened so that a degree of latitude and a
  // degree of longitude (shortened by cos(latitude)) take about the same number of pixels.
  function fitAxes(chart, points) {
    const lngs = points.map(function (p) { return p.lng; });
    const lats = points.map(function (p) { return p.lat; });
    const minLng = Math.min.apply(null, lngs), maxLng = Math.max.apply(null, lngs);
    const minLat = Math.min.apply(null, lats), maxLat = Math.max.apply(null, lats);
    const midLng = (minLng + maxLng) / 2, midLat = (minLat + maxLat) / 2;
    const cos = Math.max(Math.cos(midLat * Math.PI / 180), 0.1);
    // Spans with a 10% margin (at least 0.02°), in "ground" units: latitude degrees.
    let spanX = Math.max((maxLng - minLng) * 1.2, 0.02) * cos;
    let spanY = Math.max((maxLat - minLat) * 1.2, 0.02);
    const w = Math.max(chart.getWidth() - MAP_GRID.left - MAP_GRID.right, 50);
    const h = Math.max(chart.getHeight() - MAP_GRID.top - MAP_GRID.bottom, 50);
    if (spanX / spanY < w / h) spanX = spanY * w / h; else spanY = spanX * h / w;
    const halfLng = spanX / cos / 2, halfLat = spanY / 2;
    return {
      xAxis: { min: midLng - halfLng, max: midLng + halfLng },
      yAxis: { min: midLat - halfLat, max: midLat + halfLat },
    };
  }

  // `now` paints at once instead of on the next animation frame (which may come too late
  // for the printout).
  function resizeAll(now) {
    drawn.forEach(function (d) {
      d.chart.resize(now ? { animation: { duration: 0 } } : undefined);
      if (d.refit) d.refit();
      if (now) d.chart.getZr().flush();
    });
  }

  // Printing: no animation, and each SVG gets a viewBox so that the print stylesheet can scale
  // it into its printed box. Browsers that lay the page out for print before printing (Chromium
  // does, and reports it through matchMedia('print')) also get the charts redrawn at print size.
  function fitViewBoxes() {
    drawn.forEach(function (d) {
      const svg = d.el.querySelector('svg');
      if (svg) svg.setAttribute('viewBox', '0 0 ' + d.chart.getWidth() + ' ' + d.chart.getHeight());
    });
  }

  function beforePrint() {
    drawn.forEach(function (d) { d.chart.setOption({ animation: false }); });
    resizeAll(true);
    fitViewBoxes();
  }

  function printLayout(event) {
    if (!event.matches) return;
    resizeAll(true);
    fitViewBoxes();
  }

  function afterPrint() {
    drawn.forEach(function (d) {
      const svg = d.el.querySelector('svg');
      if (svg) svg.removeAttribute('viewBox');
      d.chart.setOption({ animation: !reducedMotion });
    });
    resizeAll(false);
  }

  function start() {
    const source = document.getElementById('cockpit-charts');
    if (!source || typeof echarts === 'undefined') return;
    const data = JSON.parse(source.textContent) || {};
    const labels = Object.assign({ unit: '', no_data: '' }, data.labels);

    if (data.by_subsidiary) init('chart-subsidiary', subsidiaryChart(data.by_subsidiary, labels));
    if (data.monthly) init('chart-monthly', monthlyChart(data.monthly, labels));
    if (data.status) init('chart-status', statusChart(data.status, labels));
    if (data.map && !data.map.points && data.map.points_url) {
      // The points come apart (they are half of the page's bytes), cached with the run.
      fetch(data.map.points_url, { credentials: 'same-origin' }).then(function (response) {
        return response.ok ? response.json() : { points: [] };
      }).catch(function () { return { points: [] }; }).then(function (found) {
        data.map.points = found.points || [];
        init('chart-map', mapChart(data.map, labels));
      });
    } else if (data.map) {
      init('chart-map', mapChart(data.map, labels));
    }

    let timer = null;
    window.addEventListener('resize', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { resizeAll(false); }, 100);
    });
    window.addEventListener('beforeprint', beforePrint);
    window.addEventListener('afterprint', afterPrint);
    const printQuery = window.matchMedia && window.matchMedia('print');
    if (printQuery && printQuery.addEventListener) printQuery.addEventListener('change', printLayout);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
