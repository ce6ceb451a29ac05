import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePatternFilter, patternFilterError } from './pattern-filter.js';
import { LogQLParseError, parseLogSelector } from './parse.js';
import { LogQLEngine, type LogQLResult } from './engine.js';
import { MemoryLogStore } from '../../../test/support/memory-log-store.js';

test('pattern filter matching follows Loki: literals in order, no empty captures, end rules', () => {
  const m = (p: string, line: string): boolean => compilePatternFilter(p)(line);
  assert.equal(m('<_> bar <_>', 'foo bar baz'), true);
  assert.equal(m('<_> bar', 'foo bar baz'), false, 'ends on a literal: nothing may follow');
  assert.equal(m('<_> baz', 'foo bar baz'), true);
  assert.equal(m('foo <_>', 'foo bar baz'), true);
  assert.equal(m('<_> bar <_>', ' bar '), false, 'empty captures do not match');
  assert.equal(m('<_>bar<_>', ' bar '), true);
  assert.equal(m('<_> level=error <_> took=<_>', 'ts=1 level=error msg=x took=2s'), true);
  assert.equal(m('<_> level=error <_> took=<_>', 'ts=1 level=info msg=x took=2s'), false);
  assert.equal(m('<_>', ''), false);
  assert.equal(patternFilterError('<_> x <name>'), 'pattern filters do not support named captures: <name>');
  assert.match(patternFilterError('<_><_> x') ?? '', /consecutive capture/);
  assert.equal(patternFilterError('<_> x <_>'), undefined);
});

test('|> and !> parse into line filters and select lines (not pushed down)', async () => {
  assert.deepEqual(parseLogSelector('{a="b"} |> "<_> error <_>" or "<_> warn <_>" !> "<_> health <_>"').pipeline, [
    { type: 'lineFilter', op: '|=', values: [], patterns: ['<_> error <_>', '<_> warn <_>'] },
    { type: 'lineFilter', op: '!=', values: [], patterns: ['<_> health <_>'] },
  ]);
  assert.throws(() => parseLogSelector('{a="b"} |> "<_> <x>"'), LogQLParseError);
  const s = new MemoryLogStore();
  const T = 1_700_000_000_000n * 1_000_000n;
  ['GET /api 200 5ms', 'GET /health 200 1ms', 'POST /api 500 9ms', 'POST /api error'].forEach((l, i) => s.add({ job: 'w' }, T + BigInt(i), l));
  const { result } = await new LogQLEngine({ store: s }).queryRange({ query: '{job="w"} |> "<_> /api <_> <_>ms" !> "POST <_>"', start: T, end: T + 10n, stepMs: 1000, direction: 'forward', limit: 10 });
  const lines = (result as Extract<LogQLResult, { type: 'streams' }>).streams.flatMap((x) => x.entries.map((e) => e.line));
  assert.deepEqual(lines, ['GET /api 200 5ms']);
});
