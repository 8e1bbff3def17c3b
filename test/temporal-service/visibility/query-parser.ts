/**
 * Parser for the subset of Temporal's SQL-like visibility query language used with List/Count:
 *
 *   expr       := or
 *   or         := and ('OR' and)*
 *   and        := unary ('AND' unary)*
 *   unary      := 'NOT' unary | '(' expr ')' | predicate
 *   predicate  := name ('=' | '!=' | '<>' | '<' | '<=' | '>' | '>=') value
 *               | name ['NOT'] 'IN' '(' value (',' value)* ')'
 *               | name 'IS' ['NOT'] 'NULL'
 *               | name 'STARTS_WITH' value
 *   query      := [expr] ['GROUP BY' name] ['ORDER BY' name ['ASC'|'DESC'] (',' ...)*]
 *
 * Names may be backquoted; strings use single or double quotes. Anything else is rejected with
 * INVALID_ARGUMENT, like the real server rejects malformed queries.
 */
import { invalidArgument } from '../errors';

export type Value = string | number | boolean;

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; operand: Expr }
  | { kind: 'compare'; name: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Value }
  | { kind: 'in'; name: string; values: Value[]; negated: boolean }
  | { kind: 'null'; name: string; negated: boolean }
  | { kind: 'startsWith'; name: string; prefix: string };

export interface ParsedQuery {
  where?: Expr;
  groupBy?: string;
  orderBy: Array<{ name: string; descending: boolean }>;
}

type Token =
  | { type: 'word'; text: string; quoted: boolean }
  | { type: 'string'; text: string }
  | { type: 'number'; value: number }
  | { type: 'op'; text: string }
  | { type: 'punct'; text: '(' | ')' | ',' };

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let text = '';
      i++;
      while (i < query.length && query[i] !== c) {
        if (query[i] === '\\' && i + 1 < query.length) i++;
        text += query[i++];
      }
      if (i >= query.length) throw invalidArgument(`invalid query: unterminated string in "${query}"`);
      i++;
      tokens.push({ type: 'string', text });
    } else if (c === '`') {
      const end = query.indexOf('`', i + 1);
      if (end < 0) throw invalidArgument(`invalid query: unterminated identifier in "${query}"`);
      tokens.push({ type: 'word', text: query.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: 'punct', text: c });
      i++;
    } else if ('=!<>'.includes(c)) {
      const two = query.slice(i, i + 2);
      const op = ['!=', '<>', '<=', '>='].includes(two) ? two : c;
      if (op === '!') throw invalidArgument(`invalid query: unexpected "!" in "${query}"`);
      tokens.push({ type: 'op', text: op === '<>' ? '!=' : op });
      i += op.length;
    } else if (/[0-9-]/.test(c) && /^-?\d/.test(query.slice(i))) {
      const match = /^-?\d+(\.\d+)?/.exec(query.slice(i))!;
      tokens.push({ type: 'number', value: Number(match[0]) });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(query.slice(i))!;
      tokens.push({ type: 'word', text: match[0], quoted: false });
      i += match[0].length;
    } else {
      throw invalidArgument(`invalid query: unexpected character "${c}" in "${query}"`);
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  parse(): ParsedQuery {
    const result: ParsedQuery = { orderBy: [] };
    if (!this.atKeyword('ORDER') && !this.atKeyword('GROUP') && this.peek()) result.where = this.parseOr();
    if (this.acceptKeyword('GROUP')) {
      this.expectKeyword('BY');
      result.groupBy = this.parseName();
    }
    if (this.acceptKeyword('ORDER')) {
      this.expectKeyword('BY');
      do {
        const name = this.parseName();
        const descending = this.acceptKeyword('DESC');
        if (!descending) this.acceptKeyword('ASC');
        result.orderBy.push({ name, descending });
      } while (this.acceptPunct(','));
    }
    if (this.peek()) this.fail(`unexpected ${this.describe(this.peek()!)}`);
    return result;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.acceptKeyword('OR')) left = { kind: 'or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseUnary();
    while (this.acceptKeyword('AND')) left = { kind: 'and', left, right: this.parseUnary() };
    return left;
  }

  private parseUnary(): Expr {
    if (this.acceptKeyword('NOT')) return { kind: 'not', operand: this.parseUnary() };
    if (this.acceptPunct('(')) {
      const inner = this.parseOr();
      this.expectPunct(')');
      return inner;
    }
    return this.parsePredicate();
  }

  private parsePredicate(): Expr {
    const name = this.parseName();
    const token = this.peek();
    if (token?.type === 'op') {
      this.pos++;
      return { kind: 'compare', name, op: token.text as '=' | '!=' | '<' | '<=' | '>' | '>=', value: this.parseValue() };
    }
    if (this.acceptKeyword('IS')) {
      const negated = this.acceptKeyword('NOT');
      this.expectKeyword('NULL');
      return { kind: 'null', name, negated };
    }
    if (this.acceptKeyword('STARTS_WITH')) {
      const prefix = this.parseValue();
      if (typeof prefix !== 'string') this.fail('STARTS_WITH expects a string');
      return { kind: 'startsWith', name, prefix: prefix as string };
    }
    const negated = this.acceptKeyword('NOT');
    if (this.acceptKeyword('IN')) {
      this.expectPunct('(');
      const values: Value[] = [this.parseValue()];
      while (this.acceptPunct(',')) values.push(this.parseValue());
      this.expectPunct(')');
      return { kind: 'in', name, values, negated };
    }
    return this.fail(`expected an operator after ${name}`);
  }

  private parseName(): string {
    const token = this.peek();
    if (token?.type !== 'word') return this.fail('expected a search attribute name');
    this.pos++;
    return token.text;
  }

  private parseValue(): Value {
    const token = this.peek();
    this.pos++;
    if (token?.type === 'string') return token.text;
    if (token?.type === 'number') return token.value;
    if (token?.type === 'word' && !token.quoted && /^(true|false)$/i.test(token.text)) return token.text.toLowerCase() === 'true';
    return this.fail(`expected a value, got ${token ? this.describe(token) : 'end of query'}`);
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private atKeyword(keyword: string): boolean {
    const token = this.peek();
    return token?.type === 'word' && !token.quoted && token.text.toUpperCase() === keyword;
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.atKeyword(keyword)) return false;
    this.pos++;
    return true;
  }

  private expectKeyword(keyword: string): void {
    if (!this.acceptKeyword(keyword)) this.fail(`expected ${keyword}`);
  }

  private acceptPunct(text: string): boolean {
    const token = this.peek();
    if (token?.type !== 'punct' || token.text !== text) return false;
    this.pos++;
    return true;
  }

  private expectPunct(text: string): void {
    if (!this.acceptPunct(text)) this.fail(`expected "${text}"`);
  }

  private describe(token: Token): string {
    return token.type === 'number' ? String(token.value) : `"${token.text}"`;
  }

  private fail(message: string): never {
    throw invalidArgument(`invalid query: ${message} in "${this.source}"`);
  }
}

export function parseVisibilityQuery(query: string | null | undefined): ParsedQuery {
  const source = (query ?? '').trim();
  if (!source) return { orderBy: [] };
  return new Parser(tokenize(source), source).parse();
}
