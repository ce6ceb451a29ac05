/**
 * Go text/template's parser (text/template/parse): builds the node tree from lexer items, resolves
 * variables and function names at parse time, and reports errors as Go does:
 * `template: NAME:LINE: MESSAGE`.
 */
import { itemString, lex, type Item } from './lex.js';

export type Node =
  | { type: 'text'; pos: number; line: number; text: string }
  | { type: 'action'; pos: number; line: number; pipe: PipeNode }
  | { type: 'if' | 'with'; pos: number; line: number; pipe: PipeNode; list: ListNode; elseList?: ListNode }
  | { type: 'range'; pos: number; line: number; pipe: PipeNode; list: ListNode; elseList?: ListNode }
  | { type: 'template'; pos: number; line: number; name: string; pipe?: PipeNode }
  | { type: 'break' | 'continue'; pos: number; line: number }
  | { type: 'comment'; pos: number; line: number };

export interface ListNode {
  nodes: Node[];
}

export interface PipeNode {
  pos: number;
  line: number;
  isAssign: boolean;
  decl: string[];
  cmds: CommandNode[];
}

export interface CommandNode {
  pos: number;
  args: ArgNode[];
}

export type ArgNode =
  | { type: 'field'; pos: number; ident: string[] }
  | { type: 'variable'; pos: number; ident: string[] }
  | { type: 'identifier'; pos: number; name: string }
  | { type: 'chain'; pos: number; node: ArgNode; field: string[] }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; value: boolean }
  | { type: 'number'; pos: number; text: string; value: number | bigint }
  | { type: 'string'; pos: number; quoted: string; value: string }
  | { type: 'pipe'; pos: number; pipe: PipeNode };

export interface Tree {
  name: string;
  root: ListNode;
  text: string;
}

export class TemplateParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateParseError';
  }
}

/** Stops execution of the enclosing range. */
export function pipeString(p: PipeNode): string {
  let s = '';
  if (p.decl.length > 0) s = p.decl.join(', ') + (p.isAssign ? ' = ' : ' := ');
  return s + p.cmds.map(commandString).join(' | ');
}

export function commandString(c: CommandNode): string {
  return c.args.map((a) => (a.type === 'pipe' ? `(${pipeString(a.pipe)})` : argString(a))).join(' ');
}

export function argString(a: ArgNode): string {
  switch (a.type) {
    case 'field':
      return '.' + a.ident.join('.');
    case 'variable':
      return a.ident.join('.');
    case 'identifier':
      return a.name;
    case 'chain': {
      const inner = a.node.type === 'pipe' ? `(${pipeString(a.node.pipe)})` : argString(a.node);
      return inner + '.' + a.field.join('.');
    }
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(a.value);
    case 'number':
      return a.text;
    case 'string':
      return a.quoted;
    case 'pipe':
      return `(${pipeString(a.pipe)})`;
  }
}

/** Parses a Go number literal into an int (bigint) or float64 (number) as the template parser types it. */
function parseNumber(text: string, isChar: boolean): number | bigint | undefined {
  if (isChar) {
    const s = unquoteChar(text);
    return s === undefined ? undefined : BigInt(s.codePointAt(0) as number);
  }
  if (text.endsWith('i')) return undefined;
  const clean = text.replace(/_/g, '');
  const neg = clean.startsWith('-');
  const body = clean.replace(/^[+-]/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(body) || /^0[oO][0-7]+$/.test(body) || /^0[bB][01]+$/.test(body)) {
    const v = BigInt(body.toLowerCase().replace(/^0o/, '0o'));
    return neg ? -v : v;
  }
  if (/^0[0-7]+$/.test(body)) {
    const v = BigInt('0o' + body.slice(1));
    return neg ? -v : v;
  }
  if (/^[0-9]+$/.test(body)) {
    const v = BigInt(body);
    if (v <= 9223372036854775807n) return neg ? -v : v;
    return Number(clean);
  }
  if (/^0[xX]/.test(body)) return undefined;
  const f = Number(clean);
  return Number.isNaN(f) ? undefined : f;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** strconv.Unquote for "..." (and the inside of '...'). Returns undefined on a syntax error. */
export function unquoteGo(q: string): string | undefined {
  const quote = q[0];
  if (q.length < 2 || q[q.length - 1] !== quote) return undefined;
  if (quote === '`') return q.slice(1, -1).replace(/\r/g, '');
  const body = q.slice(1, -1);
  let out = '';
  const bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === quote && quote === '"') return undefined;
    if (c !== '\\') {
      flush();
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (ESCAPES[e] !== undefined) {
      if ((e === "'" && quote === '"') || (e === '"' && quote === "'")) return undefined;
      flush();
      out += ESCAPES[e];
    } else if (e === 'x') {
      const h = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return undefined;
      bytes.push(parseInt(o, 8));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) return undefined;
      flush();
      out += String.fromCodePoint(parseInt(h, 16));
      i += n;
    } else return undefined;
  }
  flush();
  return out;
}

function unquoteChar(q: string): string | undefined {
  const s = unquoteGo(q);
  if (s === undefined || [...s].length !== 1) return undefined;
  return s;
}

/** The function-name check at parse time: Go fails on unknown functions before executing anything. */
export type FuncLookup = (name: string) => boolean;

/** Parses `text` into trees: the main one named `name` plus every {{define}}d one. */
export function parseTrees(name: string, text: string, hasFunc: FuncLookup, leftDelim?: string, rightDelim?: string): Map<string, Tree> {
  return new Parser(name, text, hasFunc, leftDelim, rightDelim).parse();
}

class Parser {
  private readonly items: Item[];
  private i = 0;
  private vars: string[] = ['$'];
  private readonly trees = new Map<string, Tree>();
  private treeName: string;
  private rangeDepth = 0;

  constructor(
    private readonly name: string,
    private readonly text: string,
    private readonly hasFunc: FuncLookup,
    leftDelim?: string,
    rightDelim?: string,
  ) {
    this.items = lex(text, leftDelim, rightDelim).filter((it) => it.type !== 'comment');
    this.treeName = name;
  }

  private next(): Item {
    return this.items[Math.min(this.i++, this.items.length - 1)];
  }
  private backup(): void {
    this.i--;
  }
  private peek(): Item {
    return this.items[Math.min(this.i, this.items.length - 1)];
  }
  private nextNonSpace(): Item {
    let t: Item;
    do t = this.next();
    while (t.type === 'space');
    return t;
  }
  private peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private errorf(line: number, msg: string): never {
    throw new TemplateParseError(`template: ${this.treeName}:${line}: ${msg}`);
  }
  private unexpected(t: Item, context: string): never {
    if (t.type === 'error') {
      const extra = t.val.includes('unclosed action') || t.val === 'unclosed comment' ? '' : '';
      this.errorf(t.line, t.val + extra);
    }
    this.errorf(t.line, `unexpected ${itemString(t)} in ${context}`);
  }
  private expect(type: Item['type'], context: string): Item {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  parse(): Map<string, Tree> {
    const root: ListNode = { nodes: [] };
    for (;;) {
      const t = this.peek();
      if (t.type === 'eof') break;
      if (t.type === 'leftDelim') {
        this.next();
        const d = this.nextNonSpace();
        if (d.type === 'keyword' && d.val === 'define') {
          this.parseDefinition();
          continue;
        }
        this.backup();
        this.backup();
        // back up over any spaces too
        while (this.items[this.i].type !== 'leftDelim') this.i--;
      }
      const n = this.textOrAction();
      if (n === 'end' || n === 'else') this.errorf(this.items[this.i - 1].line, `unexpected {{${n}}}`);
      root.nodes.push(n);
    }
    this.addTree({ name: this.name, root, text: this.text });
    return this.trees;
  }

  private addTree(t: Tree): void {
    const prev = this.trees.get(t.name);
    if (prev && !isEmptyTree(prev.root) && !isEmptyTree(t.root)) {
      this.errorf(1, `template: multiple definition of template "${t.name}"`);
    }
    if (!prev || isEmptyTree(prev.root)) this.trees.set(t.name, t);
  }

  private parseDefinition(): void {
    const nameItem = this.nextNonSpace();
    if (nameItem.type !== 'string' && nameItem.type !== 'rawString') this.unexpected(nameItem, 'define clause');
    const name = unquoteGo(nameItem.val);
    if (name === undefined) this.errorf(nameItem.line, `bad string syntax: ${nameItem.val}`);
    this.expect('rightDelim', 'define clause');
    const saved = this.treeName;
    const savedVars = this.vars;
    this.treeName = name;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end !== 'end') this.errorf(this.items[this.i - 1].line, `unexpected {{else}}`);
    this.addTree({ name, root: list, text: this.text });
    this.treeName = saved;
    this.vars = savedVars;
  }

  /** Parses until {{end}} or {{else}}; returns which one ended it. */
  private itemList(): [ListNode, 'end' | 'else'] {
    const list: ListNode = { nodes: [] };
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === 'eof') this.errorf(t.line, 'unexpected EOF');
      if (t.type === 'error') this.errorf(t.line, t.val);
      const n = this.textOrAction();
      if (n === 'end' || n === 'else') return [list, n];
      list.nodes.push(n);
    }
  }

  private textOrAction(): Node | 'end' | 'else' {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'text':
        return { type: 'text', pos: t.pos, line: t.line, text: t.val };
      case 'leftDelim':
        return this.action();
      case 'error':
        this.errorf(t.line, t.val);
      // falls through (never)
      default:
        this.unexpected(t, 'input');
    }
  }

  private action(): Node | 'end' | 'else' {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.val) {
        case 'block':
          return this.blockControl(t);
        case 'break':
        case 'continue': {
          if (this.rangeDepth === 0) this.errorf(t.line, `{{${t.val}}} outside {{range}}`);
          const r = this.nextNonSpace();
          if (r.type !== 'rightDelim') this.unexpected(r, `{{${t.val}}}`);
          return { type: t.val, pos: t.pos, line: t.line };
        }
        case 'else':
          return this.elseControl();
        case 'end': {
          this.expect('rightDelim', 'end');
          return 'end';
        }
        case 'if':
          return this.branch('if', t);
        case 'range':
          return this.branch('range', t);
        case 'template':
          return this.templateControl(t);
        case 'with':
          return this.branch('with', t);
        case 'define':
          this.unexpected(t, 'command');
      }
    }
    this.backup();
    const p = this.pipeline('command', 'rightDelim');
    return { type: 'action', pos: t.pos, line: t.line, pipe: p };
  }

  private pendingElseIf: 'if' | 'with' | undefined;

  private elseControl(): 'else' {
    const p = this.peekNonSpace();
    if (p.type === 'keyword' && (p.val === 'if' || p.val === 'with')) {
      // "{{else if ...}}" is treated as "{{else}}{{if ...}}...{{end}}"; leave the keyword for the caller.
      this.pendingElseIf = p.val;
      return 'else';
    }
    this.expect('rightDelim', 'else');
    return 'else';
  }

  private branch(kind: 'if' | 'range' | 'with', start: Item): Node {
    const varsLen = this.vars.length;
    const pipe = this.pipeline(kind, 'rightDelim');
    if (kind === 'range') this.rangeDepth++;
    let [list, end] = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (end === 'else') {
      if (this.pendingElseIf && kind !== 'range' && this.pendingElseIf === kind) {
        this.pendingElseIf = undefined;
        const kw = this.nextNonSpace();
        const inner = this.branchAfterElse(kind, kw);
        elseList = { nodes: [inner] };
      } else if (this.pendingElseIf) {
        const kw = this.nextNonSpace();
        this.pendingElseIf = undefined;
        this.unexpected(kw, 'else');
      } else {
        [elseList, end] = this.itemList();
        if (end !== 'end') this.errorf(this.items[this.i - 1].line, 'expected end; found {{else}}');
      }
    }
    this.vars.length = varsLen;
    void list;
    return { type: kind, pos: start.pos, line: start.line, pipe, list, elseList } as Node;
  }

  /** The `if ...` after an `else`: its own {{end}} is shared with the outer branch. */
  private branchAfterElse(kind: 'if' | 'with', kw: Item): Node {
    return this.branch(kind, kw);
  }

  private templateControl(t: Item): Node {
    const tok = this.nextNonSpace();
    const name = this.parseTemplateName(tok, 'template clause');
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline('template clause', 'rightDelim');
    }
    return { type: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private blockControl(t: Item): Node {
    const tok = this.nextNonSpace();
    const name = this.parseTemplateName(tok, 'block clause');
    const pipe = this.pipeline('block clause', 'rightDelim');
    const saved = this.treeName;
    const savedVars = this.vars;
    this.treeName = name;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end !== 'end') this.errorf(t.line, 'unexpected {{else}} in block clause');
    this.addTree({ name, root: list, text: this.text });
    this.treeName = saved;
    this.vars = savedVars;
    return { type: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private parseTemplateName(tok: Item, context: string): string {
    if (tok.type === 'string' || tok.type === 'rawString') {
      const s = unquoteGo(tok.val);
      if (s === undefined) this.errorf(tok.line, `bad string syntax: ${tok.val}`);
      return s;
    }
    this.unexpected(tok, context);
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { pos: start.pos, line: start.line, isAssign: false, decl: [], cmds: [] };
    // Declarations.
    decls: {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break decls;
      this.nextNonSpace();
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        this.nextNonSpace();
        pipe.isAssign = next.type === 'assign';
        pipe.decl.push(v.val);
        if (next.type === 'declare') this.vars.push(v.val);
        else if (!this.vars.includes(v.val)) this.errorf(v.line, `undefined variable "${v.val}"`);
      } else if (next.type === 'comma' && context === 'range') {
        this.nextNonSpace();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        const v2 = this.nextNonSpace();
        if (v2.type !== 'variable') this.errorf(v2.line, `range can only initialize variables`);
        const op = this.nextNonSpace();
        if (op.type !== 'declare' && op.type !== 'assign') this.errorf(op.line, 'expected := or = in range');
        pipe.isAssign = op.type === 'assign';
        pipe.decl.push(v2.val);
        this.vars.push(v2.val);
      } else if (tokenAfterVariable.type === 'space') {
        // A bare variable use followed by a space: not a declaration.
        this.backup();
        while (this.items[this.i].type !== 'variable') this.i--;
      } else {
        this.backup();
        while (this.items[this.i].type !== 'variable') this.i--;
      }
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context, t);
        return pipe;
      }
      switch (t.type) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string, t: Item): void {
    if (pipe.cmds.length === 0) this.errorf(t.line, `missing value for ${context}`);
    for (let i = 1; i < pipe.cmds.length; i++) {
      const a = pipe.cmds[i].args[0];
      if (a.type === 'bool' || a.type === 'dot' || a.type === 'nil' || a.type === 'number' || a.type === 'string') {
        this.errorf(t.line, `non executable command in pipeline stage ${i + 1}`);
      }
    }
  }

  private command(): CommandNode {
    const cmd: CommandNode = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.next();
      switch (t.type) {
        case 'space':
          continue;
        case 'rightDelim':
        case 'rightParen':
          this.backup();
          break;
        case 'pipe':
          break;
        default:
          this.unexpected(t, 'operand');
      }
      break;
    }
    if (cmd.args.length === 0) this.errorf(this.peek().line, 'empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().type === 'field') {
      const fields: string[] = [];
      // Go positions a chained field/variable at its first appended field.
      const chainPos = this.peek().pos;
      while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
      switch (node.type) {
        case 'field':
          return { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
        case 'variable':
          return { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(this.items[this.i - 1].line, `unexpected . after term ${JSON.stringify(argString(node))}`);
        // falls through (never)
        default:
          return { type: 'chain', pos: chainPos, node, field: fields };
      }
    }
    return node;
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunc(t.val)) this.errorf(t.line, `function ${JSON.stringify(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'nil':
        return { type: 'nil', pos: t.pos };
      case 'variable': {
        if (!this.vars.includes(t.val)) this.errorf(t.line, `undefined variable ${JSON.stringify(t.val)}`);
        return { type: 'variable', pos: t.pos, ident: [t.val] };
      }
      case 'field':
        return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant':
      case 'number': {
        const v = parseNumber(t.val, t.type === 'charConstant');
        if (v === undefined) this.errorf(t.line, `illegal number syntax: ${JSON.stringify(t.val)}`);
        return { type: 'number', pos: t.pos, text: t.val, value: v };
      }
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        return { type: 'pipe', pos: t.pos, pipe };
      }
      case 'string':
      case 'rawString': {
        const s = unquoteGo(t.val);
        if (s === undefined) this.errorf(t.line, `bad string syntax: ${JSON.stringify(t.val)}`);
        return { type: 'string', pos: t.pos, quoted: t.val, value: s };
      }
    }
    this.backup();
    return undefined;
  }
}

function isEmptyTree(l: ListNode): boolean {
  return l.nodes.every((n) => n.type === 'comment' || (n.type === 'text' && n.text.trim() === ''));
}
