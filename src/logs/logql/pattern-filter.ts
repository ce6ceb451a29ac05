/**
 * LogQL pattern line filters, `|> "<_> level=error <_>"` and `!> "…"` (Loki 3): literals with `<_>` captures
 * between them. As Loki's matcher tests a line: the literals must occur in order, each after the previous
 * one, a literal other than the first may not follow directly (that would be an empty capture), and the line
 * must end right after a final literal, or have text left for a final capture. Named captures and two captures
 * in a row are refused.
 */
const CAPTURE = /<(_|[A-Za-z_][A-Za-z0-9_]*)>/g;

type Part = { literal: string } | { capture: string };

function parts(pattern: string): Part[] {
  const out: Part[] = [];
  let last = 0;
  CAPTURE.lastIndex = 0;
  for (let m = CAPTURE.exec(pattern); m; m = CAPTURE.exec(pattern)) {
    if (m.index > last) out.push({ literal: pattern.slice(last, m.index) });
    out.push({ capture: m[1] });
    last = m.index + m[0].length;
  }
  if (last < pattern.length) out.push({ literal: pattern.slice(last) });
  return out;
}

/** Why `pattern` is not a valid pattern filter, or undefined. */
export function patternFilterError(pattern: string): string | undefined {
  const ps = parts(pattern);
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if ('capture' in p) {
      if (p.capture !== '_') return `pattern filters do not support named captures: <${p.capture}>`;
      if (i > 0 && 'capture' in ps[i - 1]) return 'found consecutive capture <_><_>: pattern filters need a literal between captures';
    }
  }
  return undefined;
}

export function compilePatternFilter(pattern: string): (line: string) => boolean {
  const ps = parts(pattern);
  const endsOnCapture = ps.length > 0 && 'capture' in ps[ps.length - 1];
  return (line) => {
    if (line === '' || ps.length === 0) return line === '' && ps.length === 0;
    let off = 0;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (!('literal' in p)) continue;
      const j = line.indexOf(p.literal, off);
      if (j < 0) return false;
      if (i !== 0 && j === off) return false;
      off = j + p.literal.length;
    }
    return endsOnCapture === (off !== line.length);
  };
}
