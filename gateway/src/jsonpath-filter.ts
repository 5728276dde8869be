/**
 * The subset of JSONPath (RFC 9535) filter expressions that Beckn discovery uses to select catalog
 * items, as in the P2P trading guide:
 *
 *   $[?(@.beckn:itemAttributes.sourceType == 'SOLAR' && @.beckn:itemAttributes.availableQuantity >= 10.0)]
 *
 * Supported: `$[?( … )]` or `$[? …]` around comparisons `@.path op literal` joined by `&&` and `||`
 * (`&&` binds tighter), with parentheses; `op` one of == != >= <= > <; literals in single or double
 * quotes, numbers, true/false. Path segments are separated by `.` and may contain `:`; `['x']`
 * segments work too. A path that meets an array matches if any element matches. Anything else is
 * refused with a FilterError naming where it stopped.
 */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterError";
  }
}

type Literal = string | number | boolean;
type Node =
  | { kind: "cmp"; path: string[]; op: string; value: Literal }
  | { kind: "and" | "or"; left: Node; right: Node };

export type Predicate = (item: unknown) => boolean;

export function compileFilter(expression: string): Predicate {
  let src = expression.trim();
  const wrapped = /^\$\[\?\s*(.*)\]$/s.exec(src);
  if (!wrapped) throw new FilterError("a filter must look like $[?( … )]");
  src = wrapped[1]!;
  let pos = 0;
  const ws = () => {
    while (pos < src.length && /\s/.test(src[pos]!)) pos++;
  };
  const fail = (what: string): never => {
    throw new FilterError(`${what} at position ${pos} of the filter`);
  };
  const parseLiteral = (): Literal => {
    ws();
    const c = src[pos];
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, pos + 1);
      if (end < 0) fail("an unterminated string");
      const s = src.slice(pos + 1, end);
      pos = end + 1;
      return s;
    }
    const m = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false)/.exec(src.slice(pos));
    if (!m) return fail("a literal was expected");
    pos += m[0].length;
    return m[0] === "true" ? true : m[0] === "false" ? false : Number(m[0]);
  };
  const parsePath = (): string[] => {
    ws();
    if (src[pos] !== "@") fail("a path starting with @ was expected");
    pos++;
    const segs: string[] = [];
    for (;;) {
      if (src[pos] === ".") {
        pos++;
        const m = /^[A-Za-z_][\w:-]*/.exec(src.slice(pos));
        if (!m) fail("a path segment was expected");
        segs.push(m![0]);
        pos += m![0].length;
      } else if (src.startsWith("['", pos)) {
        const end = src.indexOf("']", pos + 2);
        if (end < 0) fail("an unterminated ['…'] segment");
        segs.push(src.slice(pos + 2, end));
        pos = end + 2;
      } else break;
    }
    if (segs.length === 0) fail("an empty path");
    return segs;
  };
  const parseCmp = (): Node => {
    ws();
    if (src[pos] === "(") {
      pos++;
      const n = parseOr();
      ws();
      if (src[pos] !== ")") fail("a closing parenthesis was expected");
      pos++;
      return n;
    }
    const path = parsePath();
    ws();
    const m = /^(==|!=|>=|<=|>|<)/.exec(src.slice(pos));
    if (!m) return fail("a comparison operator was expected");
    pos += m[0].length;
    return { kind: "cmp", path, op: m[0], value: parseLiteral() };
  };
  const parseAnd = (): Node => {
    let left = parseCmp();
    for (;;) {
      ws();
      if (!src.startsWith("&&", pos)) return left;
      pos += 2;
      left = { kind: "and", left, right: parseCmp() };
    }
  };
  const parseOr = (): Node => {
    let left = parseAnd();
    for (;;) {
      ws();
      if (!src.startsWith("||", pos)) return left;
      pos += 2;
      left = { kind: "or", left, right: parseAnd() };
    }
  };
  const root = parseOr();
  ws();
  if (pos !== src.length) fail("unexpected text");
  return (item) => evaluate(root, item);
}

function valuesAt(value: unknown, path: string[]): unknown[] {
  let current: unknown[] = [value];
  for (const seg of path) {
    const next: unknown[] = [];
    for (const v of current) {
      const list = Array.isArray(v) ? v : [v];
      for (const x of list) {
        if (x && typeof x === "object" && seg in (x as object))
          next.push((x as Record<string, unknown>)[seg]);
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function compare(a: unknown, op: string, b: Literal): boolean {
  if (typeof a !== typeof b) return op === "!=";
  const x = a as Literal;
  switch (op) {
    case "==":
      return x === b;
    case "!=":
      return x !== b;
    case ">=":
      return x >= b;
    case "<=":
      return x <= b;
    case ">":
      return x > b;
    default:
      return x < b;
  }
}

function evaluate(n: Node, item: unknown): boolean {
  if (n.kind === "and") return evaluate(n.left, item) && evaluate(n.right, item);
  if (n.kind === "or") return evaluate(n.left, item) || evaluate(n.right, item);
  if (n.kind !== "cmp") return false;
  return valuesAt(item, n.path).some((v) => compare(v, n.op, n.value));
}
