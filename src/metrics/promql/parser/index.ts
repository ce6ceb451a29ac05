export * from './ast.js';
export { parseExpr } from './parse.js';
export { FUNCTIONS } from './functions-table.js';
export { parseDurationMs, parseGoFloat, unquoteString } from './literals.js';
export { parseSelector } from './selector.js';
