import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogStore } from '../../../test/support/memory-log-store.js';
import { LogQLEngine, LogQLExecError, type LogQLResult } from './engine.js';
import { labelsToRecord } from '../../model/labels.js';

const T = 1_700_000_000_000; // ms
const ns = (ms: number): bigint => BigInt(ms) * 1000000n;

function store(): MemoryLogStore {
  const s = new MemoryLogStore();
  const a = { job: 'app', pod: 'a' };
  s.add(a, ns(T + 1000), '{"level":"info","status":200,"latency":"250ms","size":"2KB","req":{"method":"GET","path":"/x"},"tags":["x","y"],"msg":"hello world"}');
  s.add(a, ns(T + 2000), '{"level":"error","status":500,"latency":"1.5s","size":"512B","req":{"method":"POST","path":"/y"},"tags":["z"],"msg":"boom needle"}');
  s.add(a, ns(T + 3000), '{"level":"info","status":404,"latency":"20ms","size":"1KiB","req":{"method":"GET","path":"/z"},"tags":[],"msg":"not found"}');
  const b = { job: 'app', pod: 'b' };
  s.add(b, ns(T + 1500), 'level=info msg="started server" dur=15ms bytes=10', { trace_id: 'abc123' });
  s.add(b, ns(T + 2500), 'level=warn msg="slow request" dur=2s bytes=3000');
  s.add(b, ns(T + 3500), 'level=error msg=failed dur=oops empty=');
  const w = { job: 'web' };
  s.add(w, ns(T + 1200), '10.0.0.1 - - "GET /index.html HTTP/1.1" 200 512');
  s.add(w, ns(T + 2200), '10.0.0.2 - - "POST /api HTTP/1.1" 503 40');
  s.add({ job: 'color' }, ns(T + 1000), '\x1b[31mred\x1b[0m text');
  s.add({ job: 'unpacked' }, ns(T + 1000), '{"_entry":"original line","app":"foo","n":1}');
  return s;
}

const engine = (s = store()) => new LogQLEngine({ store: s });

async function lines(q: string, limit = 100, direction: 'forward' | 'backward' = 'backward'): Promise<string[]> {
  const { result } = await engine().queryRange({ query: q, start: ns(T), end: ns(T + 10000), stepMs: 1000, direction, limit });
  assert.equal(result.type, 'streams');
  const all = (result as Extract<LogQLResult, { type: 'streams' }>).streams.flatMap((s) => s.entries);
  all.sort((x, y) => (x.ts < y.ts ? 1 : x.ts > y.ts ? -1 : 0));
  if (direction === 'forward') all.reverse();
  return all.map((e) => e.line);
}

async function streamLabels(q: string): Promise<Record<string, string>[]> {
  const { result } = await engine().queryRange({ query: q, start: ns(T), end: ns(T + 10000), stepMs: 1000, direction: 'forward', limit: 100 });
  const streams = (result as Extract<LogQLResult, { type: 'streams' }>).streams;
  return streams.flatMap((s) => s.entries.map((e) => ({ ts: String(e.ts), rec: labelsToRecord(s.labels) }))).sort((a, b) => (a.ts < b.ts ? -1 : 1)).map((x) => x.rec);
}

async function instant(q: string, atMs = T + 4000): Promise<Record<string, number>> {
  const { result } = await engine().queryInstant({ query: q, time: ns(atMs), direction: 'backward', limit: 100 });
  if (result.type === 'scalar') return { scalar: result.value };
  assert.equal(result.type, 'vector');
  const out: Record<string, number> = {};
  for (const s of (result as Extract<LogQLResult, { type: 'vector' }>).samples) {
    out[JSON.stringify(labelsToRecord(s.labels))] = s.value;
  }
  return out;
}

// ---- log queries: data-driven ----

const logCases: [string, string[]][] = [
  ['{job="web"}', ['10.0.0.2 - - "POST /api HTTP/1.1" 503 40', '10.0.0.1 - - "GET /index.html HTTP/1.1" 200 512']],
  ['{job="app"} |= "needle"', ['{"level":"error","status":500,"latency":"1.5s","size":"512B","req":{"method":"POST","path":"/y"},"tags":["z"],"msg":"boom needle"}']],
  ['{job="web"} != "POST"', ['10.0.0.1 - - "GET /index.html HTTP/1.1" 200 512']],
  ['{job="web"} |~ "5[0-9]{2}"', ['10.0.0.2 - - "POST /api HTTP/1.1" 503 40', '10.0.0.1 - - "GET /index.html HTTP/1.1" 200 512']],
  ['{job="web"} |~ "\\" 5[0-9]{2} "', ['10.0.0.2 - - "POST /api HTTP/1.1" 503 40']],
  ['{job="web"} !~ "(?i)post"', ['10.0.0.1 - - "GET /index.html HTTP/1.1" 200 512']],
  ['{job="web"} |= "GET" or "POST" != "api"', ['10.0.0.1 - - "GET /index.html HTTP/1.1" 200 512']],
  ['{job="app", pod="b"} | logfmt | level="warn"', ['level=warn msg="slow request" dur=2s bytes=3000']],
  // A value that does not convert keeps the line and marks it with __error__=LabelFilterErr, as Loki does.
  ['{job="app", pod="b"} | logfmt | dur >= 1s', ['level=error msg=failed dur=oops empty=', 'level=warn msg="slow request" dur=2s bytes=3000']],
  ['{job="app", pod="b"} | logfmt | bytes > 1KB', ['level=warn msg="slow request" dur=2s bytes=3000']],
  ['{job="app", pod="a"} | json | status >= 400 and status < 500 | line_format "{{.req_method}} {{.req_path}}"', ['GET /z']],
  ['{job="app", pod="a"} | json | status == 200 or level="error" | line_format "{{.status}}"', ['500', '200']],
  ['{job="app", pod="a"} | json | latency > 200ms, size >= 1KB | line_format "{{.msg}}"', ['hello world']],
  ['{job="app", pod="a"} | json m="req.method", t="tags[0]" | line_format "{{.m}}-{{.t}}"', ['GET-', 'POST-z', 'GET-x']],
  ['{job="app", pod="a"} | json first="tags[0]", whole="req" | first="x" | line_format "{{.whole}}"', ['{"method":"GET","path":"/x"}']],
  ['{job="web"} | regexp "^(?P<ip>\\\\S+) .*\\" (?P<code>\\\\d+) (?P<size>\\\\d+)$" | code="503" | line_format "{{.ip}} {{.size}}"', ['10.0.0.2 40']],
  ['{job="web"} | pattern "<ip> - - \\"<method> <path> <_>\\" <code> <size>" | line_format "{{.method}} {{.path}} {{.code}}"', ['POST /api 503', 'GET /index.html 200']],
  ['{job="app", pod="a"} | json | line_format "{{ToUpper .level}} {{Replace (ToLower .msg) \\"o\\" \\"0\\" -1}}"', ['INFO n0t f0und', 'ERROR b00m needle', 'INFO hell0 w0rld']],
  ['{job="app", pod="a"} | json | line_format `{{ regexReplaceAll "(\\\\w+) (\\\\w+)" .msg "${2}_$1" }} {{ default "none" .nothing }} {{ printf "%05.1f" 3.14159 }}`', ['found_not none 003.1', 'needle_boom none 003.1', 'world_hello none 003.1']],
  ['{job="app", pod="a"} | json | line_format `{{ TrimPrefix .req_path "/" }}{{ Trim "xx-yy-xx" "x" }}{{ __line__ | len }}`', ['z-yy-123', 'y-yy-130', 'x-yy-132']],
  ['{job="color"} | decolorize', ['red text']],
  ['{job="color"}', ['\x1b[31mred\x1b[0m text']],
  ['{job="unpacked"} | unpack | app="foo"', ['original line']],
  ['{job="app", pod="b"} | logfmt | line_format "{{.trace_id}}"', ['', '', 'abc123']],
  ['{job="app", pod="b"} | logfmt | dur > 1ms | __error__="" | line_format "{{.level}}"', ['warn', 'info']],
  ['{job="app", pod="b"} | logfmt | dur > 1ms | __error__="LabelFilterErr" | line_format "{{.level}} {{.__error__}}"', ['error LabelFilterErr']],
  ['{job="bad"}', []],
];

for (const [q, want] of logCases) {
  test(`log query ${q}`, async () => {
    assert.deepEqual(await lines(q), want);
  });
}

test('limit and direction: forward returns the oldest, backward the newest', async () => {
  assert.deepEqual(await lines('{job="app", pod="b"}', 2, 'forward'), ['level=info msg="started server" dur=15ms bytes=10', 'level=warn msg="slow request" dur=2s bytes=3000']);
  assert.deepEqual(await lines('{job="app", pod="b"}', 1, 'backward'), ['level=error msg=failed dur=oops empty=']);
  // A filter that the store cannot do still yields `limit` matching lines.
  assert.deepEqual(await lines('{job="app"} | json | level="info"', 1, 'backward'), ['{"level":"info","status":404,"latency":"20ms","size":"1KiB","req":{"method":"GET","path":"/z"},"tags":[],"msg":"not found"}']);
});

test('parsed labels: json flattening, _extracted on conflict, metadata, drop/keep, label_format', async () => {
  const [first] = await streamLabels('{job="app", pod="a"} | json');
  assert.equal(first.req_method, 'GET');
  assert.equal(first.status, '200');
  assert.equal(first.tags, undefined, 'arrays are skipped without parameters');
  const confl = await streamLabels('{job="app", pod="a"} | json | line_format `{"job":"x"}` | json');
  assert.equal(confl[0].job, 'app');
  assert.equal(confl[0].job_extracted, 'x');
  const withMeta = await streamLabels('{job="app", pod="b"} | logfmt --keep-empty');
  assert.equal(withMeta[0].trace_id, 'abc123');
  assert.equal(withMeta[2].empty, undefined, 'empty values never become labels (Loki drops empty labels)');
  const dropped = await streamLabels('{job="app", pod="a"} | json | drop req_method, level="info", __error__');
  assert.equal(dropped[0].req_method, undefined);
  assert.equal(dropped[0].level, undefined);
  assert.equal(dropped[1].level, 'error');
  const kept = await streamLabels('{job="app", pod="a"} | json | keep pod, level');
  assert.deepEqual(kept[0], { level: 'info', pod: 'a' });
  const fmt = await streamLabels('{job="app", pod="a"} | json | label_format lvl=level, combo="{{.pod}}-{{.status}}" | keep lvl, combo, level');
  assert.deepEqual(fmt[0], { combo: 'a-200', lvl: 'info' });
});

test('json errors set __error__=JSONParserErr and can be filtered', async () => {
  const s = store();
  s.add({ job: 'bad' }, ns(T + 1000), 'not json');
  const { result } = await engine(s).queryRange({ query: '{job="bad"} | json', start: ns(T), end: ns(T + 10000), stepMs: 1000, direction: 'backward', limit: 10 });
  const st = (result as Extract<LogQLResult, { type: 'streams' }>).streams;
  assert.equal(labelsToRecord(st[0].labels).__error__, 'JSONParserErr');
  assert.ok(labelsToRecord(st[0].labels).__error_details__);
  const { result: r2 } = await engine(s).queryRange({ query: '{job="bad"} | json | __error__=""', start: ns(T), end: ns(T + 10000), stepMs: 1000, direction: 'backward', limit: 10 });
  assert.equal((r2 as Extract<LogQLResult, { type: 'streams' }>).streams.length, 0);
});

test('pushdown: matchers, time range and leading line filters go to the store; filters after line_format do not', async () => {
  const s = store();
  await engine(s).queryRange({ query: '{job="web"} |= "GET" != "x" | logfmt |~ "a" | line_format "z" |= "z"', start: ns(T), end: ns(T + 10000), stepMs: 1000, direction: 'backward', limit: 5 });
  const p = s.selects[0];
  assert.deepEqual(p.matchers, [{ type: '=', name: 'job', value: 'web' }]);
  assert.deepEqual(p.lineFilters, [{ op: '|=', values: ['GET'] }, { op: '!=', values: ['x'] }, { op: '|~', values: ['a'] }]);
  assert.equal(p.start, ns(T));
  assert.equal(p.end, ns(T + 10000));
  assert.equal(p.limit, 0, 'remaining filters mean the store cannot apply the limit');
  await engine(s).queryRange({ query: '{job="web"} |= "GET"', start: ns(T), end: ns(T + 10000), stepMs: 1000, direction: 'backward', limit: 5 });
  assert.equal(s.selects[1].limit, 5);
});

// ---- metric queries: data-driven (instant at T+4s) ----

const J = (r: Record<string, string>): string => JSON.stringify(r);
const metricCases: [string, Record<string, number>][] = [
  ['count_over_time({job="web"}[5s])', { [J({ job: 'web' })]: 2 }],
  ['count_over_time({job="web"}[2s])', { [J({ job: 'web' })]: 1 }],
  ['rate({job="web"}[4s])', { [J({ job: 'web' })]: 0.5 }],
  ['bytes_over_time({job="web"}[5s])', { [J({ job: 'web' })]: 47 + 40 }],
  ['bytes_rate({job="web"}[2s])', { [J({ job: 'web' })]: 40 / 2 }],
  ['sum by (level) (count_over_time({job="app", pod="a"} | json [1m]))', { [J({ level: 'error' })]: 1, [J({ level: 'info' })]: 2 }],
  // Structured metadata (trace_id) is a label in metric queries, so that line is a series of its own.
  ['sum without (pod) (count_over_time({job="app"}[1m]))', { [J({ job: 'app' })]: 5, [J({ job: 'app', trace_id: 'abc123' })]: 1 }],
  ['count(count_over_time({job=~".+"}[1m]))', { [J({})]: 6 }],
  ['sum(count_over_time({job="app"}[1m])) / 2', { [J({})]: 3 }],
  ['2 * sum(count_over_time({job="app"}[1m])) + 1', { [J({})]: 13 }],
  ['1 + 2 * 3', { scalar: 7 }],
  ['(1 + 2) * 3', { scalar: 9 }],
  ['2 ^ 3 ^ 2', { scalar: 512 }],
  ['sum_over_time({job="app", pod="a"} | json | unwrap status [1m]) by (job)', { [J({ job: 'app' })]: 1104 }],
  ['avg_over_time({job="app", pod="a"} | json | unwrap status [1m]) by (job)', { [J({ job: 'app' })]: 368 }],
  ['max_over_time({job="app", pod="a"} | json | unwrap duration(latency) [1m]) by (pod)', { [J({ pod: 'a' })]: 1.5 }],
  ['min_over_time({job="app", pod="a"} | json | unwrap bytes(size) [1m]) by (pod)', { [J({ pod: 'a' })]: 512 }],
  ['first_over_time({job="app", pod="a"} | json | unwrap status [1m]) by (pod)', { [J({ pod: 'a' })]: 200 }],
  ['last_over_time({job="app", pod="a"} | json | unwrap status [1m]) by (pod)', { [J({ pod: 'a' })]: 404 }],
  ['quantile_over_time(0.5, {job="app", pod="a"} | json | unwrap status [1m]) by (pod)', { [J({ pod: 'a' })]: 404 }],
  ['stdvar_over_time({job="app", pod="a"} | json | unwrap status [1m]) by (pod)', { [J({ pod: 'a' })]: ((200 - 368) ** 2 + (500 - 368) ** 2 + (404 - 368) ** 2) / 3 }],
  ['stddev_over_time({job="app", pod="a"} | json | unwrap status [1m]) by (pod)', { [J({ pod: 'a' })]: Math.sqrt(((200 - 368) ** 2 + (500 - 368) ** 2 + (404 - 368) ** 2) / 3) }],
  ['rate({job="app", pod="a"} | json | unwrap status [10s]) by (pod)', { [J({ pod: 'a' })]: 110.4 }],
  ['sum by (pod) (sum_over_time({job="app", pod="b"} | logfmt | unwrap bytes | __error__="" [1m]))', { [J({ pod: 'b' })]: 3010 }],
  ['topk(1, sum by (pod) (count_over_time({job="app"} |= "error" [1m])))', { [J({ pod: 'a' })]: 1 }],
  ['bottomk(1, count_over_time({job=~"web|color"}[1m]))', { [J({ job: 'color' })]: 1 }],
  ['max(count_over_time({job=~".+"}[1m]))', { [J({})]: 3 }],
  ['min by (job) (count_over_time({job="app"}[1m]))', { [J({ job: 'app' })]: 1 }],
  ['avg(count_over_time({job=~"app|web"}[1m]))', { [J({})]: 2 }],
  ['stddev(count_over_time({job=~"web|color"}[1m]))', { [J({})]: 0.5 }],
  ['count_over_time({job="web"}[1m]) > 1', { [J({ job: 'web' })]: 2 }],
  ['count_over_time({job="web"}[1m]) > 5', {}],
  ['count_over_time({job="web"}[1m]) > bool 5', { [J({ job: 'web' })]: 0 }],
  ['sum by (pod) (count_over_time({job="app"}[1m])) / on (pod) sum by (pod, job) (count_over_time({job="app"}[1m]))', { [J({ pod: 'a' })]: 1, [J({ pod: 'b' })]: 1 }],
  ['count_over_time({job="app"}[1m]) * ignoring (pod) group_left sum by (job) (count_over_time({job="app"}[1m]))', { [J({ job: 'app', pod: 'a' })]: 18, [J({ job: 'app', pod: 'b' })]: 12 }],
  ['count_over_time({job="app"}[1m]) and count_over_time({job="app", pod="a"}[1m])', { [J({ job: 'app', pod: 'a' })]: 3 }],
  ['count_over_time({job="app"}[1m]) unless count_over_time({job="app", pod="a"}[1m])', { [J({ job: 'app', pod: 'b' })]: 2, [J({ job: 'app', pod: 'b', trace_id: 'abc123' })]: 1 }],
  ['count_over_time({job="web"}[1m]) or vector(0)', { [J({ job: 'web' })]: 2, [J({})]: 0 }],
  ['count_over_time({job="web"}[1s] offset 2s)', { [J({ job: 'web' })]: 1 }],
  ['absent_over_time({job="nope"}[1m])', { [J({ job: 'nope' })]: 1 }],
  ['absent_over_time({job="web"}[1m])', {}],
  ['label_replace(count_over_time({job="web"}[1m]), "dst", "x-$1", "job", "(w)eb")', { [J({ dst: 'x-w', job: 'web' })]: 2 }],
  ['sort_desc(count_over_time({job=~"web|color"}[1m]))', { [J({ job: 'web' })]: 2, [J({ job: 'color' })]: 1 }],
  ['sum(count_over_time({job="app", pod="b"} | logfmt | dur > 1s | __error__="" [1m]))', { [J({})]: 1 }],
  ['vector(3) - 1', { [J({})]: 2 }],
];

for (const [q, want] of metricCases) {
  test(`metric query ${q}`, async () => {
    const got = await instant(q);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
    for (const k of Object.keys(want)) assert.ok(Math.abs(got[k] - want[k]) < 1e-9, `${k}: ${got[k]} != ${want[k]}`);
  });
}

test('sort_desc orders an instant vector by value', async () => {
  const { result } = await engine().queryInstant({ query: 'sort_desc(count_over_time({job=~".+"}[1m]))', time: ns(T + 4000), direction: 'backward', limit: 100 });
  const vals = (result as Extract<LogQLResult, { type: 'vector' }>).samples.map((s) => s.value);
  assert.deepEqual(vals, [...vals].sort((a, b) => b - a));
});

test('range query: windows are (t-range, t] at each step; empty steps are absent', async () => {
  const { result } = await engine().queryRange({ query: 'count_over_time({job="web"}[1s])', start: ns(T + 1000), end: ns(T + 4000), stepMs: 1000, direction: 'backward', limit: 100 });
  assert.equal(result.type, 'matrix');
  const m = result as Extract<LogQLResult, { type: 'matrix' }>;
  assert.deepEqual(m.series[0].points, [
    [T + 2000, 1],
    [T + 3000, 1],
  ]);
});

test('metric queries fail on unhandled pipeline errors, as Loki does', async () => {
  await assert.rejects(
    engine().queryInstant({ query: 'sum(sum_over_time({job="app", pod="b"} | logfmt | unwrap dur [1m]))', time: ns(T + 4000), direction: 'backward', limit: 10 }),
    (e: unknown) => e instanceof LogQLExecError && /pipeline error: 'SampleExtractionErr'/.test(e.message),
  );
  await assert.rejects(
    engine().queryInstant({ query: 'count_over_time({job="app"} | json [1m])', time: ns(T + 4000), direction: 'backward', limit: 10 }),
    (e: unknown) => e instanceof LogQLExecError && /JSONParserErr/.test(e.message),
  );
  // duration conversion with an error filter after unwrap
  const got = await instant('sum(sum_over_time({job="app", pod="b"} | logfmt | unwrap duration(dur) | __error__="" [1m]))');
  assert.ok(Math.abs(got[J({})] - 2.015) < 1e-9);
});

test('rate_counter extrapolates a counter with resets', async () => {
  const s = new MemoryLogStore();
  for (let i = 0; i < 6; i++) s.add({ job: 'c' }, ns(T + i * 10000), `v=${i < 3 ? i * 10 : (i - 3) * 10}`);
  const { result } = await new LogQLEngine({ store: s }).queryInstant({ query: 'rate_counter({job="c"} | logfmt | unwrap v [60s])', time: ns(T + 50000), direction: 'backward', limit: 10 });
  const v = (result as Extract<LogQLResult, { type: 'vector' }>).samples[0].value;
  // increase 20 + (reset) 20 = 40; the first sample is 0, so no extrapolation before it (Prometheus's zero clamp).
  assert.ok(Math.abs(v - 40 / 60) < 1e-9, String(v));
});
