/**
 * Go text/template's lexer: text and actions with `{{`/`}}` delimiters, trim markers, comments, and the
 * tokens inside actions. Errors are returned as an 'error' item, as Go's lexer emits itemError.
 */

export type ItemType =
  | 'error'
  | 'eof'
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'string'
  | 'rawString'
  | 'charConstant'
  | 'number'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'char'
  | 'comment';

export interface Item {
  type: ItemType;
  val: string;
  pos: number;
  line: number;
}

export const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);

export function itemString(i: Item): string {
  switch (i.type) {
    case 'eof':
      return 'EOF';
    case 'error':
      return i.val;
    case 'keyword':
      return `<${i.val}>`;
  }
  if (i.val.length > 10) return `${goQuoteShort(i.val.slice(0, 10))}...`;
  return goQuoteShort(i.val);
}

function goQuoteShort(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string): boolean => c === '_' || /[\p{L}\p{Nd}]/u.test(c);

export function lex(input: string, leftDelim = '{{', rightDelim = '}}'): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const emit = (type: ItemType, val = input.slice(start, pos)): void => {
    items.push({ type, val, pos: start, line: startLine });
    start = pos;
    startLine = line;
  };
  const advance = (n: number): void => {
    for (let k = 0; k < n; k++) if (input[pos + k] === '\n') line++;
    pos += n;
  };
  const ignore = (): void => {
    start = pos;
    startLine = line;
  };
  const errorf = (msg: string): Item[] => {
    items.push({ type: 'error', val: msg, pos: start, line: startLine });
    return items;
  };
  /** Scans a "..." or '...' literal from its opening quote; false when it runs into a newline or the end. */
  const scanQuoted = (quote: string): boolean => {
    advance(1);
    for (;;) {
      const ch = input[pos];
      if (ch === '\\') {
        if (pos + 1 < input.length && input[pos + 1] !== '\n') {
          advance(2);
          continue;
        }
        return false;
      }
      if (ch === undefined || ch === '\n') return false;
      advance(1);
      if (ch === quote) return true;
    }
  };
  const rightTrimAt = (p: number): boolean => isSpace(input[p] ?? '') && input[p + 1] === '-' && input.startsWith(rightDelim, p + 2);

  for (;;) {
    // Text up to the next left delimiter.
    const x = input.indexOf(leftDelim, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) {
        startLine = line;
        const t = input.slice(start, pos);
        items.push({ type: 'text', val: t, pos: start, line: startLine });
      }
      items.push({ type: 'eof', val: '', pos, line });
      return items;
    }
    let textEnd = x;
    const trimLeft = input[x + leftDelim.length] === '-' && isSpace(input[x + leftDelim.length + 1] ?? '');
    if (trimLeft) while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    if (textEnd > start) {
      const t = input.slice(start, textEnd);
      items.push({ type: 'text', val: t, pos: start, line });
    }
    for (let k = start; k < x; k++) if (input[k] === '\n') line++;
    pos = x;
    start = x;
    startLine = line;
    // Left delimiter.
    pos += leftDelim.length + (trimLeft ? 2 : 0);
    const afterMarker = pos;
    if (input.startsWith('/*', afterMarker)) {
      const end = input.indexOf('*/', afterMarker + 2);
      if (end < 0) return errorf('unclosed comment');
      advance(0);
      for (let k = pos; k < end + 2; k++) if (input[k] === '\n') line++;
      pos = end + 2;
      let trimRight = false;
      if (rightTrimAt(pos)) {
        trimRight = true;
        pos += 2;
      }
      if (!input.startsWith(rightDelim, pos)) return errorf('comment ends before closing delimiter');
      items.push({ type: 'comment', val: input.slice(afterMarker, end + 2), pos: start, line: startLine });
      pos += rightDelim.length;
      if (trimRight) {
        while (pos < input.length && isSpace(input[pos])) advance(1);
      }
      ignore();
      continue;
    }
    emit('leftDelim', leftDelim);
    start = pos;
    startLine = line;
    parenDepth = 0;
    // Inside the action.
    for (;;) {
      const atRightTrim = rightTrimAt(pos);
      if (atRightTrim || input.startsWith(rightDelim, pos)) {
        if (atRightTrim) {
          if (pos > start) {
            // The space before the trim marker.
          }
          advance(2);
          ignore();
        }
        if (parenDepth > 0 && !atRightTrim) {
          // Go reports unclosed left paren when the action ends.
          return errorf('unclosed left paren');
        }
        if (parenDepth > 0) return errorf('unclosed left paren');
        pos += rightDelim.length;
        items.push({ type: 'rightDelim', val: rightDelim, pos: start, line: startLine });
        start = pos;
        startLine = line;
        if (atRightTrim) {
          while (pos < input.length && isSpace(input[pos])) advance(1);
          ignore();
        }
        break;
      }
      if (pos >= input.length) return errorf('unclosed action');
      const c = input[pos];
      if (isSpace(c)) {
        while (pos < input.length && isSpace(input[pos]) && !rightTrimAt(pos)) advance(1);
        // a space directly before " -}}" belongs to the trim marker
        if (rightTrimAt(pos) && pos > start) {
          emit('space');
          continue;
        }
        emit('space');
        continue;
      }
      if (c === '=') {
        advance(1);
        emit('assign');
        continue;
      }
      if (c === ':') {
        if (input[pos + 1] !== '=') return errorf('expected :=');
        advance(2);
        emit('declare');
        continue;
      }
      if (c === '|') {
        advance(1);
        emit('pipe');
        continue;
      }
      if (c === '"') {
        if (!scanQuoted('"')) return errorf('unterminated quoted string');
        emit('string');
        continue;
      }
      if (c === '`') {
        const end = input.indexOf('`', pos + 1);
        if (end < 0) return errorf('unterminated raw quoted string');
        advance(end + 1 - pos);
        emit('rawString');
        continue;
      }
      if (c === "'") {
        if (!scanQuoted("'")) return errorf('unterminated character constant');
        emit('charConstant');
        continue;
      }
      if (c === '$') {
        advance(1);
        while (pos < input.length && isAlnum(input[pos])) advance(1);
        if (!atTerminator()) return errorf(`bad character ${goRune(input[pos])}`);
        emit('variable');
        continue;
      }
      if (c === '.') {
        const n = input[pos + 1];
        if (n !== undefined && n >= '0' && n <= '9') {
          if (!lexNumber()) return errorf(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
          continue;
        }
        advance(1);
        if (!isAlnum(input[pos] ?? '')) {
          if (!atTerminator()) return errorf(`bad character ${goRune(input[pos])}`);
          emit('dot');
          continue;
        }
        while (pos < input.length && isAlnum(input[pos])) advance(1);
        if (!atTerminator()) return errorf(`bad character ${goRune(input[pos])}`);
        emit('field');
        continue;
      }
      if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
        if (!lexNumber()) return errorf(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
        continue;
      }
      if (isAlnum(c)) {
        while (pos < input.length && isAlnum(input[pos])) advance(1);
        const word = input.slice(start, pos);
        if (!atTerminator()) return errorf(`bad character ${goRune(input[pos])}`);
        if (KEYWORDS.has(word)) emit('keyword');
        else if (word === 'true' || word === 'false') emit('bool');
        else if (word === 'nil') emit('nil');
        else emit('identifier');
        continue;
      }
      if (c === '(') {
        advance(1);
        parenDepth++;
        emit('leftParen');
        continue;
      }
      if (c === ')') {
        advance(1);
        parenDepth--;
        if (parenDepth < 0) return errorf('unexpected right paren');
        emit('rightParen');
        continue;
      }
      if (c === ',') {
        advance(1);
        emit('comma');
        continue;
      }
      const cp = input.codePointAt(pos) as number;
      if (cp <= 0x7f && cp >= 0x20) {
        advance(1);
        emit('char');
        continue;
      }
      return errorf(`unrecognized character in action: ${goRune(String.fromCodePoint(cp))}`);
    }
  }

  function atTerminator(): boolean {
    const r = input[pos];
    if (r === undefined || isSpace(r)) return true;
    if ('.,|:)('.includes(r)) return true;
    return input.startsWith(rightDelim, pos);
  }

  function lexNumber(): boolean {
    const m = /^[+-]?(0[xX][0-9a-fA-F_]*(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+|[0-9_]*\.?[0-9_]*([eE][+-]?[0-9_]+)?)i?/.exec(input.slice(pos));
    const len = m ? m[0].length : 0;
    advance(len);
    if (isAlnum(input[pos] ?? '')) {
      advance(1);
      return false;
    }
    emit('number');
    return true;
  }
}

function goRune(c: string | undefined): string {
  if (c === undefined) return 'U+FFFD';
  const cp = c.codePointAt(0) as number;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}
