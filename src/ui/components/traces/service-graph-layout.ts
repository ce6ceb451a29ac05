/** The service map's layered layout: services in columns by call depth, edges left to right where possible. */
export interface Edge {
  client: string;
  server: string;
  /** Requests per second over the window. */
  rate: number;
  /** Failed requests per second. */
  errorRate: number;
  /** Requests counted so far (the counter's value), so a graph shows even before a rate exists. */
  total: number;
}

/** Layers by longest path from a root (a service nobody calls); cycles are broken by visit order. */
export function layout(edges: readonly Edge[]): { nodes: { name: string; layer: number; row: number }[]; layers: number } {
  const names = [...new Set(edges.flatMap((e) => [e.client, e.server]))].sort();
  const out = new Map<string, string[]>();
  const indeg = new Map<string, number>(names.map((n) => [n, 0]));
  for (const e of edges) {
    if (e.client === e.server) continue;
    (out.get(e.client) ?? out.set(e.client, []).get(e.client)!).push(e.server);
    indeg.set(e.server, (indeg.get(e.server) ?? 0) + 1);
  }
  const layer = new Map<string, number>();
  let roots = names.filter((n) => indeg.get(n) === 0);
  if (roots.length === 0 && names.length) roots = [names[0]];
  const queue = roots.map((r) => ({ n: r, d: 0 }));
  const seenEdges = new Set<string>();
  while (queue.length) {
    const { n, d } = queue.shift()!;
    if ((layer.get(n) ?? -1) >= d) continue;
    layer.set(n, d);
    for (const m of out.get(n) ?? []) {
      const k = `${n}>${m}`;
      if (seenEdges.has(k) && (layer.get(m) ?? -1) >= 0) continue;
      seenEdges.add(k);
      if (d + 1 < names.length) queue.push({ n: m, d: d + 1 });
    }
  }
  for (const n of names) if (!layer.has(n)) layer.set(n, 0);
  const rows = new Map<number, number>();
  const nodes = names.map((name) => {
    const l = layer.get(name)!;
    const row = rows.get(l) ?? 0;
    rows.set(l, row + 1);
    return { name, layer: l, row };
  });
  return { nodes, layers: Math.max(0, ...nodes.map((n) => n.layer)) + 1 };
}

