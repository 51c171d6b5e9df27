// The list of rollouts: rows updated in place from the stream, filtered by namespace, phase
// and name, ages kept by the page's clock.

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

/** kubectl's AGE: two units while the second still means something. */
export function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return h < 192 && h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

export function phaseBadge(phase) {
  return el('span', { class: `phase phase-${phase || 'none'}` }, phase || 'no status yet');
}

/** A bar whose full length is maxWeight, the weight at which the canary is promoted. */
export function weightBar(weight, maxWeight) {
  const share = maxWeight > 0 ? Math.min(1, Math.max(0, weight / maxWeight)) : 0;
  const fill = el('span');
  fill.style.width = `${Math.round(share * 100)}%`;
  return el(
    'span',
    { class: 'weight' },
    el(
      'span',
      {
        class: 'bar',
        role: 'meter',
        'aria-valuemin': '0',
        'aria-valuemax': String(maxWeight),
        'aria-valuenow': String(weight),
        'aria-label': `canary weight ${weight}% of ${maxWeight}%`,
      },
      fill,
    ),
    `${weight}% / ${maxWeight}%`,
  );
}

export function createList() {
  const body = $('rollouts').tBodies[0];
  const rows = new Map();
  const filters = {
    namespace: $('filter-namespace'),
    phase: $('filter-phase'),
    name: $('filter-name'),
  };
  let total = 0;

  function cells(row) {
    const link = el(
      'a',
      { href: `#/rollout/${encodeURIComponent(row.namespace)}/${encodeURIComponent(row.name)}` },
      row.name,
    );
    const failed =
      row.threshold === null ? `${row.failedChecks}` : `${row.failedChecks}/${row.threshold}`;
    return [
      el('th', { scope: 'row' }, link),
      el('td', { class: 'namespace' }, row.namespace),
      el('td', {}, phaseBadge(row.phase)),
      el('td', {}, weightBar(row.canaryWeight, row.maxWeight)),
      el('td', { class: row.failedChecks > 0 ? 'fail' : '' }, failed),
      el('td', {}, el('code', {}, row.revision || '-')),
      el(
        'td',
        { class: 'age', 'data-created': String(row.createdAt ?? '') },
        row.createdAt ? age(Date.now() - row.createdAt) : '-',
      ),
      el(
        'td',
        { class: 'message', title: row.message },
        el('span', { class: 'clip' }, row.message),
      ),
    ];
  }

  const before = (a, b) =>
    a.namespace < b.namespace || (a.namespace === b.namespace && a.name < b.name);

  function place(tr, row) {
    // Rows stay in the server's order: by namespace, then name.
    let next = null;
    for (const other of rows.values()) {
      if (before(row, other.row) && (!next || before(other.row, next.row))) next = other;
    }
    body.insertBefore(tr, next ? next.tr : null);
  }

  function upsert(row) {
    const known = rows.get(row.key);
    if (known) {
      known.row = row;
      known.tr.replaceChildren(...cells(row));
    } else {
      const tr = el('tr', { 'data-key': row.key });
      tr.append(...cells(row));
      place(tr, row);
      rows.set(row.key, { row, tr });
    }
    rows.get(row.key).tr.dataset.phase = row.phase;
  }

  function remove(key) {
    rows.get(key)?.tr.remove();
    rows.delete(key);
  }

  function refreshNamespaces() {
    const chosen = filters.namespace.value;
    const names = [...new Set([...rows.values()].map((r) => r.row.namespace))].sort();
    if (chosen && !names.includes(chosen)) names.push(chosen);
    filters.namespace.replaceChildren(
      el('option', { value: '' }, 'all'),
      ...names.map((n) => el('option', { value: n }, n)),
    );
    filters.namespace.value = chosen;
  }

  function applyFilters() {
    const namespace = filters.namespace.value;
    const phase = filters.phase.value;
    const text = filters.name.value.trim().toLowerCase();
    let shown = 0;
    for (const { row, tr } of rows.values()) {
      const visible =
        (!namespace || row.namespace === namespace) &&
        (!phase || row.phase === phase) &&
        (!text || row.name.toLowerCase().includes(text));
      tr.hidden = !visible;
      if (visible) shown += 1;
    }
    $('list-empty').hidden = shown > 0;
    const left = total > rows.size ? `, ${total - rows.size} more not sent` : '';
    $('list-count').textContent = `${shown} of ${rows.size} shown${left}`;
  }

  for (const input of Object.values(filters)) input.addEventListener('input', applyFilters);
  setInterval(() => {
    for (const cell of body.querySelectorAll('td.age')) {
      const created = Number(cell.dataset.created);
      if (created) cell.textContent = age(Date.now() - created);
    }
  }, 5000);

  return {
    /** Applies one event of /api/rollouts. */
    apply(type, data) {
      if (type === 'snapshot') {
        performance.mark('fledge:list-snapshot');
        for (const key of [...rows.keys()]) remove(key);
        total = data.total;
        const chosen = filters.phase.value;
        filters.phase.replaceChildren(
          el('option', { value: '' }, 'all'),
          ...data.phases.map((p) => el('option', { value: p }, p)),
        );
        filters.phase.value = chosen;
        const fragment = document.createDocumentFragment();
        for (const row of data.rows) {
          const tr = el('tr', { 'data-key': row.key, 'data-phase': row.phase });
          tr.append(...cells(row));
          rows.set(row.key, { row, tr });
          fragment.append(tr);
        }
        body.append(fragment);
        refreshNamespaces();
      } else if (type === 'upsert') {
        const isNew = !rows.has(data.row.key);
        upsert(data.row);
        if (isNew) {
          total += 1;
          refreshNamespaces();
        }
      } else if (type === 'delete') {
        if (rows.has(data.key)) total -= 1;
        remove(data.key);
        refreshNamespaces();
      } else if (type === 'problem') {
        $('list-problem').hidden = !data.message;
        $('list-problem').textContent = data.message ?? '';
        return;
      } else {
        return;
      }
      applyFilters();
      if (!document.body.dataset.listReady) {
        // Time to first render of the list, for people and for the benchmark.
        performance.mark('fledge:list-rendered');
        document.body.dataset.listReady = 'true';
      }
    },
    row(key) {
      return rows.get(key)?.row;
    },
  };
}
