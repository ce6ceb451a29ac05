/**
 * A Go text/template engine. Usage mirrors Go:
 *
 *   const t = new Template('name', { humanize }).option('missingkey=zero').parse(text);
 *   t.execute(data)                    // the main template
 *   t.executeTemplate('other', data)   // a {{define}}d one
 *
 * Functions are injected by the caller (Prometheus's and Alertmanager's maps live with them); see
 * value.ts for how Go values map to JavaScript ones.
 */
import { builtinFuncs } from './builtins.js';
import { State, TemplateExecError, type MissingKey } from './exec.js';
import { parseTrees, TemplateParseError, type Tree } from './parse.js';
import type { FuncMap, GoFunc, GoValue } from './value.js';

export { TemplateExecError } from './exec.js';
export { TemplateParseError } from './parse.js';
export { formatFloat, goQuote, sprint, sprintf, sprintln, formatValue } from './fmt.js';
export { htmlEscape, jsEscape, queryEscape } from './builtins.js';
export { arity, isStruct, isTrue, struct, variadic, type FuncMap, type GoFunc, type GoObject, type GoValue } from './value.js';

const BUILTINS = builtinFuncs();

export class Template {
  private readonly funcs: FuncMap;
  private readonly trees = new Map<string, Tree>();
  private missingKey: MissingKey = 'default';
  private delims: [string, string] = ['{{', '}}'];

  constructor(
    readonly name: string,
    funcs: FuncMap = {},
  ) {
    this.funcs = { ...funcs };
  }

  /** Adds functions (Go's Funcs); must precede parse for names used in the text. */
  addFuncs(funcs: FuncMap): this {
    Object.assign(this.funcs, funcs);
    return this;
  }

  /** Go's Option: "missingkey=default|invalid|zero|error". */
  option(opt: string): this {
    const m = /^missingkey=(default|invalid|zero|error)$/.exec(opt);
    if (!m) throw new Error(`unrecognized option: ${opt}`);
    this.missingKey = m[1] === 'invalid' ? 'default' : (m[1] as MissingKey);
    return this;
  }

  setDelims(left: string, right: string): this {
    this.delims = [left || '{{', right || '}}'];
    return this;
  }

  /** Parses text into this template set; {{define}}d templates are added. Throws TemplateParseError. */
  parse(text: string): this {
    const trees = parseTrees(this.name, text, (n) => this.lookupFunc(n) !== undefined, this.delims[0], this.delims[1]);
    for (const [name, tree] of trees) {
      const prev = this.trees.get(name);
      // Go's AddParseTree: a non-empty definition replaces; an empty one does not replace a non-empty one.
      if (prev && isEmpty(tree) && !isEmpty(prev)) continue;
      this.trees.set(name, tree);
    }
    return this;
  }

  /** Parses text as a separate named template in this set (Go's t.New(name).Parse(text)). */
  parseNamed(name: string, text: string): this {
    const trees = parseTrees(name, text, (n) => this.lookupFunc(n) !== undefined, this.delims[0], this.delims[1]);
    for (const [n, tree] of trees) {
      const prev = this.trees.get(n);
      if (prev && isEmpty(tree) && !isEmpty(prev)) continue;
      this.trees.set(n, tree);
    }
    return this;
  }

  lookup(name: string): boolean {
    return this.trees.has(name);
  }

  templateNames(): string[] {
    return [...this.trees.keys()];
  }

  private lookupFunc(name: string): GoFunc | undefined {
    if (Object.prototype.hasOwnProperty.call(this.funcs, name)) return this.funcs[name];
    if (Object.prototype.hasOwnProperty.call(BUILTINS, name)) return BUILTINS[name];
    return undefined;
  }

  execute(data: GoValue): string {
    return this.executeTemplate(this.name, data);
  }

  executeTemplate(name: string, data: GoValue): string {
    const tree = this.trees.get(name);
    if (!tree) {
      if (name === this.name) throw new TemplateExecError(`template: ${name}: ${JSON.stringify(name)} is an incomplete or empty template`);
      throw new TemplateExecError(`template: no template ${JSON.stringify(name)} associated with template ${JSON.stringify(this.name)}`);
    }
    const st = new State({ trees: this.trees, funcs: (n) => this.lookupFunc(n), missingKey: this.missingKey }, tree);
    return st.run(tree, data);
  }
}

function isEmpty(t: Tree): boolean {
  return t.root.nodes.every((n) => n.type === 'comment' || (n.type === 'text' && n.text.trim() === ''));
}

/** True for errors thrown by parse or execute. */
export function isTemplateError(e: unknown): e is TemplateParseError | TemplateExecError {
  return e instanceof TemplateParseError || e instanceof TemplateExecError;
}
