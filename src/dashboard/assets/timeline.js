// One rollout's timeline: summary, actions, weight and metric charts on one time axis,
// decisions and Events, conditions and the last analysis.

import { metricChart, weightChart } from './charts.js';
import { phaseBadge, weightBar } from './list.js';

const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

const time = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
const dateTime = (ms) => new Date(ms).toISOString();

export function formatValue(value) {
  if (value === null || value === undefined) return 'no data';
  return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
}

export function formatRange({ min, max }) {
  if (min !== undefined && max !== undefined) return `${min}..${max}`;
  if (min !== undefined) return `≥ ${min}`;
  if (max !== undefined) return `≤ ${max}`;
  return 'any';
}

function table(headers, rows) {
  return [
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  ];
}

const verdict = (passed) =>
  el('span', { class: passed ? 'pass' : 'fail' }, passed ? 'passed' : 'FAILED');

export function createTimeline(onAction) {
  let charts = [];
  let current;

  const chartWidth = () => Math.max(320, Math.min(1100, $('timeline-view').clientWidth - 10));

  function destroyCharts() {
    for (const chart of charts) chart.destroy();
    charts = [];
  }

  function renderSummary(t) {
    const row = t.row;
    const entries = [
      ['Phase', phaseBadge(row.phase)],
      ['Revision', el('code', {}, row.revision || '-')],
      ['Weight', weightBar(row.canaryWeight, row.maxWeight)],
      [
        'Failed checks',
        row.threshold === null ? `${row.failedChecks}` : `${row.failedChecks} of ${row.threshold}`,
      ],
      ['Message', row.message || '-'],
    ];
    $('summary').replaceChildren(
      ...entries.flatMap(([term, detail]) => [el('dt', {}, term), el('dd', {}, detail)]),
    );
  }

  // Buttons are updated in place, not replaced: a live update landing between the mouse
  // press and release on a replaced button would swallow the click.
  let choices = new Map();
  function renderActions(t) {
    choices = new Map(t.actions.map((choice) => [choice.action, choice]));
    const buttons = [...$('actions').children];
    const same =
      buttons.length === t.actions.length &&
      buttons.every((button, i) => button.dataset.action === t.actions[i].action);
    if (!same) {
      // A live update must not take the keyboard focus away from the button a person is on.
      const focused = document.activeElement?.dataset?.action;
      $('actions').replaceChildren(
        ...t.actions.map((choice) => {
          const button = el(
            'button',
            { type: 'button', 'data-action': choice.action },
            choice.action,
          );
          button.addEventListener('click', () => onAction(current, choices.get(choice.action)));
          return button;
        }),
      );
      if (focused) $('actions').querySelector(`[data-action="${focused}"]`)?.focus();
    }
    for (const button of $('actions').children) {
      const choice = choices.get(button.dataset.action);
      button.title = choice.message;
      if (choice.allowed) button.removeAttribute('aria-disabled');
      else button.setAttribute('aria-disabled', 'true');
    }
  }

  function renderCharts(t) {
    destroyCharts();
    const width = chartWidth();
    const weight = $('weight-chart');
    weight.replaceChildren();
    if (t.weights.length > 0) {
      const steps = t.weights.map((s) => `${s.weight}% at ${time(s.at)}`).join(', ');
      weight.setAttribute('role', 'img');
      weight.setAttribute('aria-label', `Canary weight over time: ${steps}`);
      charts.push(weightChart(weight, t, width));
    } else {
      weight.removeAttribute('role');
      weight.append(
        el(
          'p',
          { class: 'muted' },
          'No weight history yet: the controller records each step in status.history.',
        ),
      );
    }
    const metrics = $('metric-charts');
    metrics.replaceChildren();
    for (const series of t.metrics) {
      const failed = series.points.filter((p) => !p.passed).length;
      const plot = el('div', {
        class: 'chart',
        role: 'img',
        'aria-label': `${series.metric}: ${series.points.length} intervals, ${failed} failed, accepted ${formatRange(series)}`,
      });
      const rows = series.points.map((p) => [
        time(p.at),
        formatValue(p.value),
        verdict(p.passed),
        p.message ?? '',
      ]);
      const values = el(
        'table',
        { class: 'plain', 'data-metric': series.metric },
        ...table(['Time', 'Value', 'Verdict', 'Why'], rows),
      );
      for (const [i, tr] of [...values.tBodies[0].rows].entries())
        tr.dataset.passed = String(series.points[i].passed);
      const box = el(
        'div',
        { class: 'metric', 'data-metric': series.metric },
        el(
          'h4',
          {},
          `${series.metric} `,
          el('span', { class: 'muted' }, `accepted ${formatRange(series)}`),
        ),
        plot,
        el('details', {}, el('summary', {}, `Values of ${series.metric} as a table`), values),
      );
      metrics.append(box);
      if (series.points.length > 0) charts.push(metricChart(plot, t, series, width));
      else plot.replaceChildren(el('p', { class: 'muted' }, 'No intervals recorded yet.'));
    }
  }

  function renderMarkers(t) {
    const items = [...t.markers]
      .reverse()
      .map((m) =>
        el(
          'li',
          { class: `kind-${m.kind}`, 'data-kind': m.kind, 'data-reason': m.reason },
          el('time', { datetime: dateTime(m.at) }, time(m.at)),
          el('span', { class: 'reason' }, `${m.reason}${m.count > 1 ? ` ×${m.count}` : ''}`),
          el(
            'span',
            { class: 'visually-hidden' },
            `(${m.kind}, ${m.type}, from ${m.source === 'event' ? 'an Event' : 'status history'}) `,
          ),
          m.message,
        ),
      );
    if (t.eventsOmitted > 0)
      items.push(el('li', { class: 'muted' }, `${t.eventsOmitted} older Events not shown`));
    if (items.length === 0) items.push(el('li', { class: 'muted' }, 'Nothing recorded yet.'));
    $('markers').replaceChildren(...items);
  }

  function renderTables(t) {
    $('conditions').replaceChildren(
      ...table(
        ['Type', 'Status', 'Reason', 'Message'],
        t.conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']),
      ),
    );
    $('last-analysis').replaceChildren(
      ...table(
        ['Metric', 'Value', 'Accepted', 'Verdict'],
        t.lastAnalysis.map((m) => [
          m.metric,
          formatValue(m.value),
          formatRange(m),
          verdict(m.passed),
        ]),
      ),
    );
  }

  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => current && renderCharts(current), 200);
  });

  return {
    render(t) {
      current = t;
      $('timeline-title').textContent = `${t.row.namespace}/${t.row.name}`;
      renderSummary(t);
      renderActions(t);
      renderCharts(t);
      renderMarkers(t);
      renderTables(t);
      document.body.dataset.timelineReady = t.row.key;
    },
    clear() {
      current = undefined;
      destroyCharts();
      delete document.body.dataset.timelineReady;
      for (const id of [
        'summary',
        'actions',
        'weight-chart',
        'metric-charts',
        'markers',
        'conditions',
        'last-analysis',
      ]) {
        $(id).replaceChildren();
      }
      $('action-result').textContent = '';
      $('timeline-title').textContent = '';
    },
  };
}
