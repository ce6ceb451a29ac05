/**
 * Executes parsed trees as Go text/template does: dot, variables, pipelines with the previous result as
 * the final argument, control structures, template invocation, and errors formatted
 * `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
 */
import { formatValue } from './fmt.js';
import { argString, commandString, type ArgNode, type CommandNode, type ListNode, type Node, type PipeNode, type Tree } from './parse.js';
import { isMapLike, isStruct, isTrue, mapGet, mapKeys, structTypeName, type GoFunc, type GoValue } from './value.js';

export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecEnv {
  trees: Map<string, Tree>;
  funcs: (name: string) => GoFunc | undefined;
  missingKey: MissingKey;
  /** Go's default recursion guard. */
  maxDepth?: number;
}

class BreakSignal {}
class ContinueSignal {}

/** Go's FuncMap calling convention: arity check, then call; a thrown error becomes "error calling X: ...". */
function checkArity(name: string, fn: GoFunc, n: number): string | undefined {
  const want = fn.goArity ?? fn.length;
  if (fn.goVariadic) {
    if (n < want) return `wrong number of args for ${name}: want at least ${want} got ${n}`;
    return undefined;
  }
  if (n !== want) return `wrong number of args for ${name}: want ${want} got ${n}`;
  return undefined;
}

interface Variable {
  name: string;
  value: GoValue;
}

export class State {
  private vars: Variable[] = [];
  private node: { pos: number; str: string } | undefined;
  private tree: Tree;
  private depth = 0;
  out = '';

  constructor(
    private readonly env: ExecEnv,
    tree: Tree,
  ) {
    this.tree = tree;
  }

  run(tree: Tree, data: GoValue): string {
    this.vars = [{ name: '$', value: data }];
    this.walk(data, tree.root);
    return this.out;
  }

  private at(pos: number, str: string): void {
    this.node = { pos, str };
  }

  errorf(msg: string): never {
    const name = this.tree.name;
    if (!this.node) throw new TemplateExecError(`template: ${name}: ${msg}`);
    const text = this.tree.text.slice(0, this.node.pos);
    const lastNl = text.lastIndexOf('\n');
    const line = 1 + (text.match(/\n/g)?.length ?? 0);
    const byteNum = lastNl < 0 ? Buffer.byteLength(text) : Buffer.byteLength(text.slice(lastNl + 1));
    const ctx = this.node.str;
    throw new TemplateExecError(`template: ${name}:${line}:${byteNum}: executing ${JSON.stringify(name)} at <${ctx}>: ${msg}`);
  }

  private push(name: string, value: GoValue): void {
    this.vars.push({ name, value });
  }
  private setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return this.errorf(`undefined variable: ${name}`);
  }

  private walk(dot: GoValue, list: ListNode): void {
    for (const n of list.nodes) this.walkNode(dot, n);
  }

  private walkNode(dot: GoValue, n: Node): void {
    switch (n.type) {
      case 'text':
        this.out += n.text;
        return;
      case 'comment':
        return;
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.printValue(n.pipe, v);
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, n.pipe);
        const truth = this.truth(v);
        if (truth) {
          this.walk(n.type === 'with' ? v : dot, n.list);
        } else if (n.elseList) {
          this.walk(dot, n.elseList);
        }
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, n);
        return;
      case 'template':
        this.walkTemplate(dot, n);
        return;
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private truth(v: GoValue): boolean {
    return isTrue(v);
  }

  private walkRange(dot: GoValue, n: Extract<Node, { type: 'range' }>): void {
    this.at(n.pipe.pos, 'range');
    const mark = this.vars.length;
    const val = this.evalPipeline(dot, n.pipe);
    const mark2 = this.vars.length;
    const one = (index: GoValue, elem: GoValue): boolean => {
      if (n.pipe.decl.length > 0) {
        if (n.pipe.isAssign) {
          if (n.pipe.decl.length > 1) {
            this.setVar(n.pipe.decl[0], index);
            this.setVar(n.pipe.decl[1], elem);
          } else this.setVar(n.pipe.decl[0], elem);
        } else {
          this.vars.length = mark2;
          if (n.pipe.decl.length > 1) {
            this.vars[mark2 - 2] = { name: n.pipe.decl[0], value: index };
            this.vars[mark2 - 1] = { name: n.pipe.decl[1], value: elem };
          } else this.vars[mark2 - 1] = { name: n.pipe.decl[0], value: elem };
        }
      }
      const inner = this.vars.length;
      try {
        this.walk(elem, n.list);
      } catch (e) {
        this.vars.length = inner;
        if (e instanceof BreakSignal) return false;
        if (e instanceof ContinueSignal) return true;
        throw e;
      }
      this.vars.length = inner;
      return true;
    };
    let any = false;
    if (val === undefined || val === null) {
      // nothing to range over
    } else if (Array.isArray(val)) {
      for (let i = 0; i < val.length; i++) {
        any = true;
        if (!one(BigInt(i), val[i])) break;
      }
    } else if (typeof val === 'bigint') {
      for (let i = 0n; i < val; i++) {
        any = true;
        if (!one(i, i)) break;
      }
    } else if (isMapLike(val) && !isStruct(val)) {
      for (const k of mapKeys(val)) {
        any = true;
        if (!one(k, mapGet(val, k))) break;
      }
    } else {
      this.errorf(`range can't iterate over ${formatValue(val)}`);
    }
    if (!any && n.elseList) this.walk(dot, n.elseList);
    this.vars.length = mark;
  }

  private walkTemplate(dot: GoValue, n: Extract<Node, { type: 'template' }>): void {
    this.at(n.pos, `{{template ${JSON.stringify(n.name)}}}`);
    const tree = this.env.trees.get(n.name);
    if (!tree) this.errorf(`template ${JSON.stringify(n.name)} not defined`);
    const newDot = n.pipe ? this.evalPipeline(dot, n.pipe) : null;
    if (++this.depth > (this.env.maxDepth ?? 100000)) this.errorf(`exceeded maximum template depth (${this.env.maxDepth ?? 100000})`);
    const savedVars = this.vars;
    const savedTree = this.tree;
    this.vars = [{ name: '$', value: newDot }];
    this.tree = tree;
    try {
      this.walk(newDot, tree.root);
    } finally {
      this.vars = savedVars;
      this.tree = savedTree;
      this.depth--;
    }
  }

  private evalPipeline(dot: GoValue, pipe: PipeNode): GoValue {
    let value: GoValue = undefined;
    let hasFinal = false;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value, hasFinal);
      hasFinal = true;
    }
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value);
      else this.push(name, value);
    }
    return value;
  }

  private evalCommand(dot: GoValue, cmd: CommandNode, final: GoValue, hasFinal: boolean): GoValue {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final, hasFinal);
      case 'chain': {
        const recv = this.evalArg(dot, first.node);
        return this.evalFieldChain(dot, recv, first, first.field, cmd.args, final, hasFinal);
      }
      case 'identifier':
        return this.evalFunction(dot, first.name, cmd, cmd.args, final, hasFinal);
      case 'pipe':
        this.notAFunction(cmd.args, hasFinal);
        return this.evalPipeline(dot, first.pipe);
      case 'variable': {
        const v = this.varValue(first.ident[0]);
        if (first.ident.length === 1) {
          this.notAFunction(cmd.args, hasFinal);
          return v;
        }
        return this.evalFieldChain(dot, v, first, first.ident.slice(1), cmd.args, final, hasFinal);
      }
    }
    this.at(first.pos, argString(first));
    this.notAFunction(cmd.args, hasFinal);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return first.value;
      case 'string':
        return first.value;
    }
  }

  private notAFunction(args: readonly ArgNode[], hasFinal: boolean): void {
    if (args.length > 1 || hasFinal) this.errorf(`can't give argument to non-function ${argString(args[0])}`);
  }

  private evalFieldChain(dot: GoValue, receiver: GoValue, node: ArgNode, ident: readonly string[], args: readonly ArgNode[], final: GoValue, hasFinal: boolean): GoValue {
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = this.evalField(dot, ident[i], node, [], undefined, false, r);
    return this.evalField(dot, ident[ident.length - 1], node, args, final, hasFinal, r);
  }

  private evalField(dot: GoValue, name: string, node: ArgNode, args: readonly ArgNode[], final: GoValue, hasFinal: boolean, receiver: GoValue): GoValue {
    this.at(node.pos, argString(node));
    if (receiver === undefined || receiver === null) {
      if (receiver === null || receiver === undefined) this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
    }
    const hasArgs = args.length > 1 || hasFinal;
    if (typeof receiver === 'object' && receiver !== null) {
      const method = (receiver as Record<string, unknown>)[name];
      // A function is a method when it comes from a prototype (class instances), or hangs off a slice or
      // struct; a function stored in a plain map is a value (for `call`).
      const isMethod =
        typeof method === 'function' &&
        !(receiver instanceof Map) &&
        (Array.isArray(receiver) || isStruct(receiver) || !Object.prototype.hasOwnProperty.call(receiver, name) || hasArgs);
      if (isMethod) {
        return this.evalCall(dot, method.bind(receiver) as GoFunc, name, args, final, hasFinal, node);
      }
      if (Array.isArray(receiver)) this.errorf(`can't evaluate field ${name} in type []interface {}`);
      if (receiver instanceof Error) this.errorf(`can't evaluate field ${name} in type error`);
      if (isStruct(receiver)) {
        if (!Object.prototype.hasOwnProperty.call(receiver, name)) this.errorf(`can't evaluate field ${name} in type ${structTypeName(receiver)}`);
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return (receiver as Record<string, GoValue>)[name];
      }
      if (isMapLike(receiver)) {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        const v = mapGet(receiver, name);
        if (v === undefined) {
          switch (this.env.missingKey) {
            case 'error':
              this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
            // falls through (never)
            case 'zero':
              return '';
            default:
              return undefined;
          }
        }
        return v;
      }
    }
    return this.errorf(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: GoValue, name: string, cmd: CommandNode, args: readonly ArgNode[], final: GoValue, hasFinal: boolean): GoValue {
    this.at(args[0].pos, name);
    // and/or short-circuit: arguments are evaluated lazily (Go 1.18+).
    if (name === 'and' || name === 'or') {
      const rest = args.slice(1);
      const n = rest.length + (hasFinal ? 1 : 0);
      if (n < 1) this.errorf(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: GoValue = undefined;
      for (let i = 0; i < n; i++) {
        v = i < rest.length ? this.evalArg(dot, rest[i]) : final;
        const t = isTrue(v);
        if (name === 'and' ? !t : t) return v;
      }
      return v;
    }
    const fn = this.env.funcs(name);
    if (!fn) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, fn, name, args, final, hasFinal, cmd);
  }

  private evalCall(dot: GoValue, fn: GoFunc, name: string, args: readonly ArgNode[], final: GoValue, hasFinal: boolean, node: ArgNode | CommandNode): GoValue {
    const argv: GoValue[] = [];
    for (let i = 1; i < args.length; i++) argv.push(this.evalArg(dot, args[i]));
    if (hasFinal) argv.push(final);
    const arityErr = checkArity(name, fn, argv.length);
    const nodeStr = 'args' in node ? commandString(node) : argString(node);
    if (arityErr) {
      this.at(node.pos, nodeStr);
      this.errorf(arityErr);
    }
    try {
      return fn(...argv) as GoValue;
    } catch (e) {
      this.at(node.pos, nodeStr);
      if (e instanceof TemplateExecError) throw e;
      this.errorf(`error calling ${name}: ${(e as Error).message}`);
    }
  }

  private evalArg(dot: GoValue, n: ArgNode): GoValue {
    this.at(n.pos, argString(n));
    switch (n.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldChain(dot, dot, n, n.ident, [n], undefined, false);
      case 'variable': {
        const v = this.varValue(n.ident[0]);
        if (n.ident.length === 1) return v;
        return this.evalFieldChain(dot, v, n, n.ident.slice(1), [n], undefined, false);
      }
      case 'pipe':
        return this.evalPipeline(dot, n.pipe);
      case 'identifier': {
        const cmd: CommandNode = { pos: n.pos, args: [n] };
        return this.evalFunction(dot, n.name, cmd, [n], undefined, false);
      }
      case 'chain': {
        const recv = this.evalArg(dot, n.node);
        return this.evalFieldChain(dot, recv, n, n.field, [n], undefined, false);
      }
      case 'bool':
        return n.value;
      case 'number':
        return n.value;
      case 'string':
        return n.value;
    }
  }

  private printValue(pipe: PipeNode, v: GoValue): void {
    if (v === undefined) {
      this.out += '<no value>';
      return;
    }
    if (typeof v === 'function') {
      this.at(pipe.pos, 'function');
      this.errorf(`can't print ${pipe.cmds.map(commandString).join(' | ')} of type func`);
    }
    this.out += formatValue(v);
  }
}

function typeName(v: GoValue): string {
  if (v === undefined || v === null) return 'interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
  }
  return 'interface {}';
}
