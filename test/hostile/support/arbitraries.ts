/**
 * fast-check generators for hostile HTTP input: strings that hurt (NUL, lone surrogates, BOMs,
 * bidi overrides, huge), JSON that is malformed, deep, or carries prototype-pollution keys, bytes
 * that are not UTF-8, odd media types and encodings, broken query strings and header values.
 */
import fc from 'fast-check';

/** Single UTF-16 code units, lone surrogates included (fast-check's own string units avoid them). */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const NASTY_PIECES = [
  '\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ufeff', '\u202e', '\u2028', '\u2029', '\uffff', '\ufffe',
  '\u0085', '\u001b', '\u007f', '\u00a0', '😀', 'e\u0301', 'İ', 'ß', 'ﬃ', '\r', '\n', '\r\n', '\t', '"', '\\', '/',
  '%', '%00', '%ZZ', '%E0%A4%A', '..', '../', '<script>', '&', "'", '`', '${x}', '{{x}}', ' ', ',', ';', '=', '?', '#',
] as const;

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', '__defineGetter__', '__lookupGetter__', 'toString', 'valueOf', 'hasOwnProperty'] as const;

/** A big string of one repeated piece (up to a few hundred KB: past every body limit). */
export const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 300_000 }), fc.constantFrom('A', '\u0000', '😀', '\\u0000', '%', '\ud800', 'é'))
  .map(([n, piece]) => piece.repeat(Math.ceil(n / piece.length)));

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...NASTY_PIECES), { maxLength: 12 }).map((a) => a.join('')) },
  { weight: 3, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', ' ', 'null', 'true', '0', '-1', '1e309', 'NaN', 'CREATE', 'UPDATE', 'DELETE', ...PROTO_KEYS),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: hugeString },
);

export const nastyKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 3, arbitrary: nastyString.filter((s) => s.length < 200) },
);

const nastyScalar: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1.5, 2 ** 53 + 1, Number.MAX_VALUE, 1e21, true, false, null),
);

/** Any JSON value, with nasty strings, keys and a bit of depth. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyScalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** JSON texts planting pollution keys at the top and deeper, in objects and arrays. */
export const pollutionText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{"__proto__":{"polluted":"yes"}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"__proto__":{"__proto__":{"polluted":"yes"}}}',
    '[{"__proto__":{"polluted":"yes"}}]',
    '{"a":{"b":{"__proto__":{"polluted":"yes"}}}}',
    '{"__proto__":null}',
    '{"__proto__":[]}',
    '{"toString":"x","valueOf":1,"hasOwnProperty":null}',
  ),
  fc
    .tuple(fc.dictionary(fc.string({ maxLength: 10 }), nastyJson, { maxKeys: 3 }), fc.constantFrom(...PROTO_KEYS), fc.constantFrom('{"polluted":"yes","isAdmin":true}', '{"prototype":{"polluted":"yes"}}', 'null', '"x"'))
    .map(([obj, key, evil]) => {
      const text = JSON.stringify(obj);
      const planted = `"${key}":${evil}`;
      return text === '{}' ? `{${planted}}` : `{${planted},${text.slice(1)}`;
    }),
);

/** Texts that are not JSON, or not JSON a strict parser accepts. */
export const malformedJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '', ' ', '{', '}', '[', '{"a":', '{"a" 1}', "{'a':1}", '{"a":1,}', '[1,]', 'undefined', 'NaN', '{"a":NaN}',
    '{"a":Infinity}', '01', '{"a":01}', '"\\x41"', '{"a":"\\u12"}', '\ufeff{}', '{"a":"b"}}', '{}{}', '/* c */ {}',
    '{"a":"\u0000"}', '{"a":"line\nbreak"}', 'nul', 'tru', '{"type":"CREATE","ticketId":"1"', '{"type":"CREATE",,"ticketId":"1"}',
    '{"type":"CREATE" "ticketId":"1"}', 'type=CREATE&ticketId=1', '<xml/>', '\u0000', '{"\ud800":1}',
  ),
  // A valid document cut short.
  fc.tuple(nastyJson.map((v) => JSON.stringify(v) ?? 'null'), fc.nat()).filter(([t]) => t.length > 1).map(([t, n]) => t.slice(0, 1 + (n % (t.length - 1)))),
  // Deep nesting, closed or not (past any recursion limit, within or past the body limit).
  fc
    .tuple(fc.integer({ min: 50, max: 60_000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
    .map(([depth, open, closed]) => open.repeat(depth) + (closed ? (open === '[' ? '' : '1') + (open === '[' ? ']' : '}').repeat(depth) : '')),
);

/** A body as bytes: JSON text, pollution, malformed text, or raw bytes (not UTF-8). */
export function asBytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Inserts byte sequences that are not UTF-8 (CESU surrogate, overlong, stray continuation, 0xFF). */
export const invalidUtf8 = fc
  .tuple(fc.string({ maxLength: 60 }), fc.nat(), fc.constantFrom([0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x80], [0xff], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]))
  .map(([text, at, bad]) => {
    const bytes = Buffer.from(text, 'utf8');
    const i = bytes.length === 0 ? 0 : at % bytes.length;
    return Buffer.concat([bytes.subarray(0, i), Buffer.from(bad), bytes.subarray(i)]);
  });

export const randomBytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates become U+FFFD on the way). */
export function pct(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** Junk query parameters: nasty keys and values, bracket syntax, raw broken escapes. */
export const junkQuery: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.tuple(nastyKey, nastyString.filter((s) => s.length < 2_000)), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')),
  fc.constantFrom(
    '__proto__[polluted]=yes',
    'constructor[prototype][polluted]=yes',
    '__proto__.polluted=yes',
    'a[b][c][d][e][f]=1',
    'a[]=1&a[]=2',
    '%',
    '%ZZ',
    '%E0%A4%A',
    '&&&',
    '==',
    'a=%00',
    'a=' + '%41'.repeat(3_000),
    'x=' + 'y'.repeat(8_000),
  ),
);

/** Media types, including ones the API must refuse, and nonsense. */
export const contentType: fc.Arbitrary<string | null> = fc.oneof(
  fc.constantFrom(
    null,
    '',
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=UTF-16',
    'application/json; charset=latin1',
    'application/json; charset=ebcdic',
    'application/json; charset',
    'application/vnd.api+json',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '*/*',
    '/',
    'application/json, text/plain',
  ),
  nastyString.filter((s) => s.length < 200),
);

/** `Content-Encoding` values with bodies that are not encoded that way (or not at all). */
export const contentEncoding: fc.Arbitrary<string | null> = fc.constantFrom(null, null, null, 'gzip', 'deflate', 'br', 'identity', 'zstd', 'gzip, gzip', 'x-gzip', '');

/** Header values that break HTTP: CR/LF (request smuggling attempts), NUL, obs-text, huge. */
export const hostileHeaderValue: fc.Arbitrary<Buffer> = fc.oneof(
  nastyString.filter((s) => s.length < 4_000).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom(
    Buffer.from('a\u0000b', 'latin1'),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from('x\r\nContent-Length: 0\r\n\r\nGET /healthz HTTP/1.1', 'latin1'),
    Buffer.from('x\nTransfer-Encoding: chunked', 'latin1'),
    Buffer.from('\x7f\x01\x02', 'latin1'),
    Buffer.alloc(20_000, 'a'),
  ),
);

/** Extra header names (framing headers are the protocol family's business, not these). */
export const headerName = fc.oneof(
  fc.constantFrom('X-Evil', 'X-Forwarded-For', 'X-Namespace', 'Origin', 'Cookie', 'Accept', 'Accept-Encoding', 'Expect', 'Range', 'If-None-Match', 'X-HTTP-Method-Override'),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,30}$/),
);

/**
 * Hostile header values that stay one header: no CR or LF. For requests that carry valid
 * credentials, where a smuggled `Content-Length: 0` could turn a refused request into a valid one
 * (that is request splitting, covered with bad credentials and in the malformed-HTTP family).
 */
export const oneHeaderValue: fc.Arbitrary<Buffer> = hostileHeaderValue.filter((v) => !v.includes(0x0d) && !v.includes(0x0a));
