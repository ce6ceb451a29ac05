import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeArgs, UsageError } from './main.js';

test('serve flags: logs and traces settings reach the server options', () => {
  const o = parseServeArgs([
    '--logs.retention.time', '3d',
    '--logs.retention.size', '10GB',
    '--traces.retention.time', '12h',
    '--traces.retention.size', '512MiB',
    '--logs.max-line-size', '256KB',
    '--logs.max-line-size-truncate',
    '--logs.reject-old-samples.max-age', '2w',
    '--logs.creation-grace-period', '0',
    '--logs.bulk.label-fields', ' _index=index, kubernetes.pod_name=pod,host.name ',
  ]);
  assert.equal(o.logsRetentionTimeMs, 3 * 86_400_000);
  assert.equal(o.logsRetentionSizeBytes, 10e9);
  assert.equal(o.tracesRetentionTimeMs, 12 * 3_600_000);
  assert.equal(o.tracesRetentionSizeBytes, 512 * 1024 ** 2);
  assert.equal(o.logsMaxLineBytes, 256_000);
  assert.equal(o.logsMaxLineTruncate, true);
  assert.equal(o.logsRejectOlderThanMs, 14 * 86_400_000);
  assert.equal(o.logsRejectNewerThanMs, 0);
  assert.deepEqual(o.logsBulkLabelFields, ['_index=index', 'kubernetes.pod_name=pod', 'host.name']);
});

test('serve flags: absent logs/traces flags leave the server defaults', () => {
  const o = parseServeArgs([]);
  for (const k of ['logsRetentionTimeMs', 'logsRetentionSizeBytes', 'tracesRetentionTimeMs', 'tracesRetentionSizeBytes', 'logsMaxLineBytes', 'logsMaxLineTruncate', 'logsRejectOlderThanMs', 'logsRejectNewerThanMs', 'logsBulkLabelFields'] as const) {
    assert.equal(o[k], undefined, k);
  }
});

test('serve flags: bad values are usage errors naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--logs.retention.time', '3 days'], /^--logs.retention.time: not a duration: "3 days"/],
    [['--traces.retention.time=-1h'], /^--traces.retention.time: not a duration/],
    [['--logs.retention.size', '10 parsecs'], /^--logs.retention.size: not a size/],
    [['--traces.retention.size', '1.5.3GB'], /^--traces.retention.size: not a size/],
    [['--logs.max-line-size=-1'], /^--logs.max-line-size: not a size: "-1"/],
    [['--logs.reject-old-samples.max-age', 'week'], /^--logs.reject-old-samples.max-age: not a duration/],
    [['--logs.creation-grace-period', '10'], /^--logs.creation-grace-period: not a duration/],
    [['--logs.bulk.label-fields', 'a..b'], /^--logs.bulk.label-fields: "a..b": the field path must be/],
    [['--logs.bulk.label-fields', 'host,,pod'], /empty item/],
    [['--logs.bulk.label-fields', ''], /empty list/],
    [['--logs.bulk.label-fields', 'host=1bad'], /"1bad" is not a valid label name/],
    [['--logs.bulk.label-fields', 'x=__name'], /"__name" is not a valid label name/],
    [['--logs.bulk.label-fields', '__meta'], /would start with __/],
    [['--logs.bulk.label-fields', 'a b=c'], /the field path must be/],
    [['--logs.max-line-size', '0', '--logs.max-line-size-truncate'], /needs a --logs.max-line-size above 0/],
    [['--logs.max-line-size-truncate=yes'], /does not take an argument/],
    [['--logs.retention'], /Unknown option/],
  ];
  for (const [args, re] of cases) {
    assert.throws(() => parseServeArgs(args), (e: unknown) => e instanceof UsageError && re.test(e.message), args.join(' '));
  }
});
