// report.html's script: draws the timeline chart from the embedded data and lets the reader
// sort and filter the message table. The page reads fine without it. It writes text only
// through textContent and attributes only through setAttribute, never markup.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('report-data').textContent);

  function plural(count, one, many) {
    return count + ' ' + (count === 1 ? one : many);
  }

  // The step of the value axis: 1, 2 or 5 times a power of ten, for at most about 5 lines.
  function niceStep(max) {
    var rough = Math.max(1, max / 5);
    var power = Math.pow(10, Math.floor(Math.log10(rough)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= rough) return steps[i] * power;
    }
    return 10 * power;
  }

  function drawTimeline(svg, timeline) {
    var periods = timeline.periods;
    if (!svg || !periods.length) return;
    var ns = svg.namespaceURI;
    function add(parent, name, attributes, text) {
      var node = document.createElementNS(ns, name);
      Object.keys(attributes).forEach(function (key) {
        node.setAttribute(key, String(attributes[key]));
      });
      if (text !== undefined) node.textContent = text;
      parent.appendChild(node);
      return node;
    }

    var width = 960, height = 300;
    var left = 48, right = 16, top = 20, bottom = 48;
    var plotWidth = width - left - right, plotHeight = height - top - bottom;
    var max = Math.max.apply(null, periods.map(function (p) { return p.messages; }));
    var step = niceStep(max);
    var axisMax = Math.max(step, Math.ceil(max / step) * step);
    function y(value) { return top + plotHeight - (value / axisMax) * plotHeight; }

    var grid = add(svg, 'g', { 'class': 'grid-lines', 'aria-hidden': 'true' });
    for (var value = 0; value <= axisMax; value += step) {
      add(grid, 'line', { 'class': value === 0 ? 'axis' : 'grid', x1: left, x2: width - right,
                          y1: y(value), y2: y(value) });
      add(grid, 'text', { 'class': 'axis-label', x: left - 8, y: y(value) + 4,
                          'text-anchor': 'end' }, String(value));
    }

    var slot = plotWidth / periods.length;
    var barWidth = Math.max(2, Math.min(48, slot * 0.7));
    var tickEvery = Math.ceil(periods.length / 16);
    var bars = add(svg, 'g', { 'class': 'bars' });
    var ticks = add(svg, 'g', { 'class': 'ticks', 'aria-hidden': 'true' });
    periods.forEach(function (period, index) {
      var centre = left + slot * index + slot / 2;
      if (index % tickEvery === 0) {
        add(ticks, 'text', { 'class': 'axis-label', x: centre, y: height - bottom + 18,
                             'text-anchor': 'middle' }, period.tick);
      }
      if (period.messages === 0) return;
      var bar = add(bars, 'g', { 'class': 'bar', 'data-period': period.start,
                                 'data-count': period.messages,
                                 'data-sensitive': period.sensitive_messages });
      var title = period.label + ': ' + plural(period.messages, 'message', 'messages');
      if (period.sensitive_messages > 0) {
        title += ' (' + period.sensitive_messages + ' with sensitive content)';
      }
      add(bar, 'title', {}, title);
      var x = centre - barWidth / 2;
      var others = period.messages - period.sensitive_messages;
      if (others > 0) {
        add(bar, 'rect', { 'class': 'bar-other', x: x, width: barWidth, y: y(period.messages),
                           height: y(period.sensitive_messages) - y(period.messages) });
      }
      if (period.sensitive_messages > 0) {
        add(bar, 'rect', { 'class': 'bar-sensitive', x: x, width: barWidth,
                           y: y(period.sensitive_messages),
                           height: y(0) - y(period.sensitive_messages) });
      }
      if (slot >= 18) {
        add(bar, 'text', { 'class': 'bar-value', x: centre, y: y(period.messages) - 4,
                           'text-anchor': 'middle' }, String(period.messages));
      }
    });
    add(svg, 'text', { 'class': 'axis-label', x: left + plotWidth / 2, y: height - 8,
                       'text-anchor': 'middle' },
        timeline.unit === 'day' ? 'Day (UTC)' :
        timeline.unit === 'week' ? 'Week starting (UTC)' : 'Month (UTC)');
    svg.setAttribute('data-drawn', 'true');
    svg.parentNode.classList.add('chart-drawn');
    // The chart now carries the counts; the table stays one click away.
    var counts = document.getElementById('timeline-counts');
    if (counts) counts.removeAttribute('open');
  }

  function sortKey(row, column) {
    var cell = row.cells[column];
    return cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent;
  }

  function enhanceTable(table) {
    if (!table) return;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

    headers.forEach(function (header, column) {
      var type = header.getAttribute('data-sort-type');
      if (!type) return;
      var button = document.createElement('button');
      button.type = 'button';
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
      button.addEventListener('click', function () {
        var ascending = header.getAttribute('aria-sort') !== 'ascending';
        headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
        header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var sorted = rows.slice().sort(function (a, b) {
          var x = sortKey(a, column), z = sortKey(b, column);
          var order = type === 'number' ? Number(x) - Number(z) : x.localeCompare(z);
          return ascending ? order : -order;
        });
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });

    var controls = document.getElementById('message-controls');
    var filter = document.getElementById('message-filter');
    var sensitiveOnly = document.getElementById('sensitive-only');
    var count = document.getElementById('message-count');
    function applyFilter() {
      var query = filter.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var visible = (!query || row.textContent.toLowerCase().indexOf(query) !== -1) &&
                      (!sensitiveOnly.checked || row.classList.contains('sensitive'));
        row.hidden = !visible;
        if (visible) shown++;
      });
      count.textContent = 'Showing ' + shown + ' of ' + plural(rows.length, 'row', 'rows');
    }
    filter.addEventListener('input', applyFilter);
    sensitiveOnly.addEventListener('change', applyFilter);
    controls.hidden = false;
    applyFilter();
  }

  drawTimeline(document.getElementById('timeline-chart'), data.timeline);
  enhanceTable(document.getElementById('message-table'));
})();
