/**
 * The Go text/template engine against outputs of Go 1.19+ (written from Go's documented semantics and
 * checked by hand against `go run`; the Prometheus-specific oracle test in test/alerting compares a
 * further batch with the real Prometheus binary).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template, sprintf, struct, variadic } from './index.js';

const run = (text: string, data: unknown = {}, funcs = {}) => new Template('t', funcs).parse(text).execute(data as never);
const parseErr = (text: string, funcs = {}) => {
  try {
    new Template('t', funcs).parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

test('text, trim markers and comments', () => {
  assert.equal(run('a  {{- "b" -}}  c'), 'abc');
  assert.equal(run('a {{/* x */}} b'), 'a  b');
  assert.equal(run('a {{- /* x */ -}} b'), 'ab');
  assert.equal(run('{{"x"}}\n{{- "y"}}'), 'xy');
});

test('maps: fields, missing keys, range in sorted key order', () => {
  assert.equal(run('{{.a}} {{.zz}}', { a: 1n }), '1 <no value>');
  assert.equal(new Template('t').option('missingkey=zero').parse('[{{.zz}}]').execute({}), '[]');
  assert.throws(() => new Template('t').option('missingkey=error').parse('{{.zz}}').execute({}), /map has no entry for key "zz"/);
  assert.equal(run('{{range $k, $v := .}}{{$k}}{{$v}},{{end}}', { b: '2', a: '1', c: '3' }), 'a1,b2,c3,');
  assert.equal(run('{{range $k, $v := .}}{{$k}}{{$v}},{{end}}', new Map([['y', 'Y'], ['x', 'X']])), 'xX,yY,');
  assert.equal(run('{{.}}', { b: 'x', a: 'y' }), 'map[a:y b:x]');
});

test('range over slices with else, break and continue; $ and variable scope', () => {
  assert.equal(run('{{range .}}<{{.}}>{{else}}empty{{end}}', []), 'empty');
  assert.equal(run('{{range $i, $e := .}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $e "d"}}{{break}}{{end}}{{$i}}{{$e}} {{end}}', ['a', 'b', 'c', 'd', 'e']), '0a 2c ');
  assert.equal(run('{{range .l}}{{$.p}}{{.}}{{end}}', { l: ['a', 'b'], p: '-' }), '-a-b');
  assert.equal(run('{{$x := "outer"}}{{with "inner"}}{{$x := .}}{{$x}}{{end}} {{$x}}'), 'inner outer');
  assert.equal(run('{{$x := 1}}{{range .}}{{$x = .}}{{end}}{{$x}}', [5n, 6n]), '6');
});

test('if / else if / with / else with', () => {
  const t = '{{if eq . 1}}one{{else if eq . 2}}two{{else}}many{{end}}';
  assert.deepEqual([1n, 2n, 3n].map((n) => run(t, n)), ['one', 'two', 'many']);
  assert.equal(run('{{with .a}}{{.}}{{else with .b}}b={{.}}{{else}}none{{end}}', { b: 'B' }), 'b=B');
  assert.equal(run('{{if .}}t{{else}}f{{end}}', ''), 'f');
  assert.equal(run('{{if .}}t{{else}}f{{end}}', {}), 'f');
  assert.equal(run('{{if .}}t{{else}}f{{end}}', struct({})), 't');
});

test('define, template, block and executeTemplate', () => {
  const t = new Template('main').parse('{{define "a"}}A({{.}}){{end}}{{template "a" "x"}}{{block "b" .}}B{{.}}{{end}}');
  assert.equal(t.execute('y'), 'A(x)By');
  assert.equal(t.executeTemplate('a', 1n), 'A(1)');
  t.parse('{{define "b"}}override{{end}}');
  assert.equal(t.execute('y'), 'A(x)override');
  assert.throws(() => t.executeTemplate('nope', 1), /no template "nope" associated with template "main"/);
});

test('builtins', () => {
  assert.equal(run('{{len .}} {{index . 1}} {{slice . 1 2}}', ['a', 'b', 'c']), '3 b [b]');
  assert.equal(run('{{and 1 0}} {{and 1 2}} {{or 0 ""}} {{or 0 "x"}} {{not true}}'), '0 2  x false');
  assert.equal(run('{{eq "a" "b" "a"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1.5 2.5}}'), 'true true true true true false');
  assert.equal(run('{{print "a" 1 2 "b"}}|{{println 1 "x"}}|{{printf "%05.1f" 3.14159}}'), 'a1 2b|1 x\n|003.1');
  assert.equal(run(`{{html "<a href='x'>"}} {{js "a'b"}} {{urlquery "a b/c"}}`), '&lt;a href=&#39;x&#39;&gt; a\\\'b a+b%2Fc');
  assert.equal(run('{{call .f 2 3}}', { f: (a: bigint, b: bigint) => a * b }), '6');
  assert.throws(() => run('{{lt true false}}'), /invalid type for comparison/);
  assert.throws(() => run('{{eq 1 "a"}}'), /incompatible types for comparison/);
});

test('methods, pipelines and custom functions', () => {
  const alerts = Object.assign(['x', 'y'], { Firing: () => ['x'] });
  assert.equal(run('{{len .Alerts.Firing}} {{.Alerts.Firing}}', { Alerts: alerts }), '1 [x]');
  const funcs = { join: (sep: string, l: string[]) => l.join(sep), up: (s: string) => s.toUpperCase(), cat: variadic((...a: string[]) => a.join('')) };
  assert.equal(run('{{ . | join "," | up }} {{cat "a" "b" "c"}}', ['a', 'b'], funcs), 'A,B abc');
  assert.equal(run('{{ (index . 0) | up }}', ['q'], funcs), 'Q');
  assert.throws(() => run('{{up}}', {}, funcs), /wrong number of args for up: want 1 got 0/);
  assert.throws(() => run('{{up 1 | up}}', {}, { up: (x: unknown) => { throw new Error(`boom ${String(x)}`); } }), /error calling up: boom 1/);
});

test('parse errors read like Go', () => {
  assert.equal(parseErr('{{ .x }'), 'template: t:1: unexpected "}" in operand');
  assert.equal(parseErr('a\n\n{{ nope }}'), 'template: t:3: function "nope" not defined');
  assert.equal(parseErr('{{ if .x }}'), 'template: t:1: unexpected EOF');
  assert.equal(parseErr('{{ end }}'), 'template: t:1: unexpected {{end}}');
  assert.equal(parseErr('{{ $x }}'), 'template: t:1: undefined variable "$x"');
  assert.equal(parseErr('{{ "abc }}'), 'template: t:1: unterminated quoted string');
  assert.equal(parseErr('{{ .x '), 'template: t:1: unclosed action');
  assert.equal(parseErr('{{ }}'), 'template: t:1: missing value for command');
  assert.equal(parseErr('{{ break }}'), 'template: t:1: {{break}} outside {{range}}');
  assert.equal(parseErr('{{ . | "x" }}'), 'template: t:1: non executable command in pipeline stage 2');
});

test('exec errors name line, column and node', () => {
  assert.throws(() => run('ab\ncd {{ .a.b }}', { a: 'x' }), { message: 'template: t:2:8: executing "t" at <.a.b>: can\'t evaluate field b in type string' });
  assert.throws(() => run('{{ index . 5 }}', ['a']), /error calling index: index out of range: 5/);
});

test('printf matches Go fmt', () => {
  const cases: [string, unknown[], string][] = [
    ['%d|%5d|%-5d|%05d|%x|%X|%o|%b|%+d', [42n, 42n, 42n, 42n, 255n, 255n, 8n, 5n, 3n], '42|   42|42   |00042|ff|FF|10|101|+3'],
    ['%f|%.2f|%8.3f|%-8.1f|%e|%.3E|%g|%G', [3.14159, 3.14159, 3.14159, 3.14159, 1234.5678, 1234.5678, 0.000012345, 1e21], '3.141590|3.14|   3.142|3.1     |1.234568e+03|1.235E+03|1.2345e-05|1E+21'],
    ['%v %v %v %v %v', [1e6, 123456.0, 0.0001, 1e-5, -0.0], '1e+06 123456 0.0001 1e-05 -0'],
    ['%s|%10s|%-10s|%.2s|%q|%x', ['go', 'go', 'go', 'golang', 'a"b\n', 'hi'], 'go|        go|go        |go|"a\\"b\\n"|6869'],
    ['%t %v %%', [true, false], 'true false %'],
    ['%d %s', [1.5, 2n], '%!d(float64=1.5) %!s(int=2)'],
    ['%d', [], '%!d(MISSING)'],
    ['%d', [1n, 'x'], '1%!(EXTRA string=x)'],
    ['%v %v', [null, ['a', 1n]], '<nil> [a 1]'],
    ['%.0f %.0f %.1f %.2f', [0.5, 1.5, 0.05, 2.675], '0 2 0.1 2.67'],
    ['%6.2f%%', [99.5], ' 99.50%'],
    ['%v %v %v', [NaN, Infinity, -Infinity], 'NaN +Inf -Inf'],
  ];
  for (const [f, args, want] of cases) assert.equal(sprintf(f, args as never), want, f);
});
