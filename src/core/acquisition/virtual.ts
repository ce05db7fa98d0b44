/**
 * Virtual points: MyEMS's `{"expression","substitutions"}` address. `substitutions` maps each variable of the
 * expression to the id of the point it reads (`{"x1":101,"x2":102}`, as an object or a JSON string).
 * The expression is parsed by mathjs (never eval); sympy's piecewise form
 * `Piecewise((x1, x1 > 0), (0, True))` is accepted and turned into conditionals.
 */
import { createRequire } from 'node:module';
import type { EvalFunction, MathJsInstance, MathNode } from 'mathjs';

const DISABLED = ['import', 'createUnit', 'evaluate', 'parse', 'simplify', 'derivative', 'resolve'];

let math: { instance: MathJsInstance; parse: MathJsInstance['parse'] } | null = null;

/**
 * The expression engine, loaded on first use (mathjs takes about a second to load: a store without virtual
 * points never pays for it). Expressions are data from the configuration: nothing in them may change or
 * escape the math instance, so the functions that could are replaced by ones that refuse.
 */
function engine(): { instance: MathJsInstance; parse: MathJsInstance['parse'] } {
  if (math) return math;
  // the number-only build: virtual points compute with plain numbers, and it loads in half the time
  const { all, create } = createRequire(import.meta.url)('mathjs/number') as typeof import('mathjs');
  const instance = create(all, {});
  const parse = instance.parse;
  const refuse = (name: string) => () => {
    throw new Error(`${name} is disabled`);
  };
  instance.import(Object.fromEntries(DISABLED.map((n) => [n, refuse(n)])), { override: true });
  math = { instance, parse };
  return math;
}

const isFunction = (name: string) => typeof (engine().instance as unknown as Record<string, unknown>)[name] === 'function' && !DISABLED.includes(name);

export class VirtualExpressionError extends Error {}

export interface CompiledVirtual {
  expression: string;
  /** variable name -> point id */
  inputs: Map<string, number>;
  evaluate(scope: Map<string, number>): number | null;
}

/** Splits "a, (b, c), d" at its top-level commas. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** The index of the parenthesis closing the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  throw new VirtualExpressionError('address.expression has unbalanced parentheses');
}

/** Rewrites sympy's Piecewise((expr, cond), ...) into nested conditionals mathjs understands. */
export function translatePiecewise(expression: string): string {
  let text = expression.replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false');
  for (;;) {
    const at = text.search(/\bPiecewise\s*\(/);
    if (at < 0) return text;
    const open = text.indexOf('(', at);
    const end = closing(text, open);
    const pieces = splitTopLevel(text.slice(open + 1, end)).map((piece) => {
      if (!piece.startsWith('(') || closing(piece, 0) !== piece.length - 1) throw new VirtualExpressionError('address.expression: each Piecewise piece must be (value, condition)');
      const pair = splitTopLevel(piece.slice(1, -1));
      if (pair.length !== 2) throw new VirtualExpressionError('address.expression: each Piecewise piece must be (value, condition)');
      return pair;
    });
    let out = 'NaN';
    for (let i = pieces.length - 1; i >= 0; i--) out = `((${pieces[i][1]}) ? (${pieces[i][0]}) : ${out})`;
    text = text.slice(0, at) + out + text.slice(end + 1);
  }
}

/** Parses and checks a virtual point address; throws VirtualExpressionError naming the field. */
export function compileVirtual(address: Record<string, unknown>): CompiledVirtual {
  const expression = address.expression;
  if (typeof expression !== 'string' || expression.trim() === '') throw new VirtualExpressionError('address.expression must be an expression such as "x1+x2"');
  let subs = address.substitutions;
  if (typeof subs === 'string') {
    try {
      subs = JSON.parse(subs);
    } catch {
      throw new VirtualExpressionError('address.substitutions must be a JSON object mapping variables to point ids');
    }
  }
  if (subs === null || typeof subs !== 'object' || Array.isArray(subs)) throw new VirtualExpressionError('address.substitutions must be an object mapping variables to point ids, e.g. {"x1":101}');
  const inputs = new Map<string, number>();
  for (const [name, id] of Object.entries(subs as Record<string, unknown>)) {
    const n = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw new VirtualExpressionError(`address.substitutions.${name} must be a point id`);
    inputs.set(name, n);
  }
  let node: MathNode;
  try {
    node = engine().parse(translatePiecewise(expression));
  } catch (e) {
    if (e instanceof VirtualExpressionError) throw e;
    throw new VirtualExpressionError(`address.expression cannot be parsed: ${(e as Error).message}`);
  }
  const unknown = new Set<string>();
  node.traverse((n, _path, parent) => {
    if (n.type === 'AssignmentNode' || n.type === 'FunctionAssignmentNode') throw new VirtualExpressionError('address.expression must not assign');
    if (n.type === 'SymbolNode') {
      const name = (n as unknown as { name: string }).name;
      const isCallee = parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === n;
      if (isCallee) {
        if (!isFunction(name)) throw new VirtualExpressionError(`address.expression uses an unknown function ${name}`);
      } else if (!inputs.has(name) && !['pi', 'e', 'true', 'false', 'NaN', 'Infinity'].includes(name)) unknown.add(name);
    }
  });
  if (unknown.size) throw new VirtualExpressionError(`address.expression uses ${[...unknown].join(', ')}, which address.substitutions does not define`);
  const code: EvalFunction = node.compile();
  return {
    expression,
    inputs,
    evaluate(scope) {
      const v = code.evaluate(scope);
      const n = typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
      return Number.isFinite(n) ? n : null;
    },
  };
}
