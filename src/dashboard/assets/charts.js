// Time series with uPlot (served from the package, no CDN). Every chart of a timeline shares
// the same time axis and cursor, and draws the decisions as vertical marks.

const COLORS = {
  weight: '#0969da',
  value: '#57606a',
  passed: '#1a7f37',
  failed: '#cf222e',
  threshold: '#9a6700',
  rollback: '#cf222e',
  promotion: '#1a7f37',
  check: '#bc4c00',
  gate: '#8250df',
  webhook: '#8250df',
  other: '#8c959f',
};
const LABELLED = { rollback: 'rollback', promotion: 'promoted' };

/** Vertical marks for the timeline's decisions; rollbacks and promotions are named. */
function markersPlugin(markers) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { top, height } = u.bbox;
          const ratio = window.devicePixelRatio || 1;
          ctx.save();
          for (const marker of markers) {
            const x = Math.round(u.valToPos(marker.at / 1000, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            const strong = marker.kind in LABELLED;
            ctx.strokeStyle = COLORS[marker.kind] ?? COLORS.other;
            ctx.lineWidth = (strong ? 2.5 : 1) * ratio;
            ctx.setLineDash(strong ? [] : [4 * ratio, 3 * ratio]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            if (strong) {
              ctx.fillStyle = COLORS[marker.kind];
              ctx.font = `bold ${12 * ratio}px system-ui, sans-serif`;
              ctx.textAlign = 'left';
              ctx.textBaseline = 'alphabetic';
              ctx.fillText(LABELLED[marker.kind], x + 4 * ratio, top + 14 * ratio);
            }
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** The accepted range as dashed lines across the plot. */
function thresholdPlugin(min, max) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const ratio = window.devicePixelRatio || 1;
          ctx.save();
          ctx.strokeStyle = COLORS.threshold;
          ctx.lineWidth = 1.5 * ratio;
          ctx.setLineDash([6 * ratio, 4 * ratio]);
          for (const bound of [min, max]) {
            if (bound === undefined) continue;
            const y = Math.round(u.valToPos(bound, 'y', true));
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
}

function common(timeline, width, height, plugins) {
  return {
    width,
    height,
    cursor: { sync: { key: 'timeline' } },
    scales: { x: { time: true, range: [timeline.from / 1000, timeline.to / 1000] } },
    legend: { live: true },
    plugins,
  };
}

/** The canary weight as steps over time. */
export function weightChart(target, timeline, width) {
  const xs = timeline.weights.map((s) => s.at / 1000);
  const ys = timeline.weights.map((s) => s.weight);
  return new window.uPlot(
    {
      ...common(timeline, width, 170, [markersPlugin(timeline.markers)]),
      series: [
        {},
        {
          label: 'canary weight %',
          stroke: COLORS.weight,
          width: 2,
          fill: 'rgba(9, 105, 218, 0.08)',
          paths: window.uPlot.paths.stepped({ align: 1 }),
          points: { show: false },
        },
      ],
      axes: [{ space: 80 }, { size: 60 }],
      scales: {
        x: { time: true, range: [timeline.from / 1000, timeline.to / 1000] },
        y: { range: [0, 100] },
      },
    },
    [xs, ys],
    target,
  );
}

function valueRange(series) {
  const values = series.points.map((p) => p.value).filter((v) => v !== null);
  for (const bound of [series.min, series.max]) if (bound !== undefined) values.push(bound);
  if (values.length === 0) return [0, 1];
  const low = Math.min(...values);
  const high = Math.max(...values);
  const pad = (high - low) * 0.15 || Math.abs(high) * 0.05 || 1;
  return [low - pad, high + pad];
}

/** One metric's value at each interval against its range; failed points are hollow and larger. */
export function metricChart(target, timeline, series, width) {
  const points = series.points;
  const xs = points.map((p) => p.at / 1000);
  const values = points.map((p) => p.value);
  const passed = points.map((p) => (p.passed ? p.value : null));
  const failed = points.map((p) => (p.passed ? null : p.value));
  const onlyPoints = () => null;
  return new window.uPlot(
    {
      ...common(timeline, width, 200, [
        thresholdPlugin(series.min, series.max),
        markersPlugin(timeline.markers),
      ]),
      series: [
        {},
        {
          label: series.metric,
          stroke: COLORS.value,
          width: 1,
          points: { show: false },
          spanGaps: true,
        },
        {
          label: 'passed',
          stroke: COLORS.passed,
          paths: onlyPoints,
          points: { show: true, size: 8, width: 1, fill: COLORS.passed, stroke: COLORS.passed },
        },
        {
          label: 'failed',
          stroke: COLORS.failed,
          paths: onlyPoints,
          points: { show: true, size: 12, width: 3, fill: '#ffffff', stroke: COLORS.failed },
        },
      ],
      axes: [{ space: 80 }, { size: 60 }],
      scales: {
        x: { time: true, range: [timeline.from / 1000, timeline.to / 1000] },
        y: { range: valueRange(series) },
      },
    },
    [xs, values, passed, failed],
    target,
  );
}
