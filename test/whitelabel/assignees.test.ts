/** `WHITELABEL_ASSIGNEES` parsing and the teammate → Zendesk user lookup. */
import { assigneeResolver, whitelabelAssigneesSchema } from '../../src/adapters/whitelabel/assignees';

const TEAMMATE = 'b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac';
const OTHER = '0d9f7a4c-1111-4222-8333-444455556666';

function parse(text: string) {
  return whitelabelAssigneesSchema.safeParse(text);
}

function messages(text: string): string[] {
  const result = parse(text);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => i.message);
}

describe('whitelabelAssigneesSchema', () => {
  it('parses numbers and digit strings into Zendesk ids as text', () => {
    const result = parse(JSON.stringify({ [TEAMMATE]: 9012345, [OTHER]: '42' }));
    expect(result.success && { ...result.data }).toEqual({ [TEAMMATE]: '9012345', [OTHER]: '42' });
  });

  it('accepts an empty object', () => {
    const result = parse('{}');
    expect(result.success && Object.keys(result.data)).toEqual([]);
  });

  it('normalises teammate ids to lower case', () => {
    const result = parse(JSON.stringify({ [TEAMMATE.toUpperCase()]: 1 }));
    expect(result.success && { ...result.data }).toEqual({ [TEAMMATE]: '1' });
  });

  it.each([
    ['not JSON', '{teammate: 1}', /^is not valid JSON: must be a JSON object mapping teammate ids/],
    ['a JSON array', '[1,2]', /^must be a JSON object mapping teammate ids/],
    ['a JSON string', '"x"', /^must be a JSON object mapping teammate ids/],
    ['null', 'null', /^must be a JSON object mapping teammate ids/],
  ])('rejects %s', (_label, text, message) => {
    expect(messages(text)).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ['zero', 0],
    ['a negative id', -5],
    ['a fractional id', 1.5],
    ['a non-numeric string', 'agent-7'],
    ['a leading zero', '007'],
    ['null', null],
    ['an object', { id: 1 }],
  ])('rejects %s as a Zendesk user id, naming the entry by position only', (_label, value) => {
    const text = JSON.stringify({ [OTHER]: 1, [TEAMMATE]: value });
    expect(messages(text)).toEqual(['entry 2: the Zendesk user id must be a positive integer']);
    expect(messages(text).join()).not.toContain(TEAMMATE);
  });

  it('rejects an empty teammate id and one given twice (differing only in case)', () => {
    expect(messages(JSON.stringify({ ' ': 1 }))).toEqual(['entry 1: the teammate id is empty']);
    expect(messages(`{"${TEAMMATE}": 1, "${TEAMMATE.toUpperCase()}": 2}`)).toEqual(['entry 2: the teammate id appears twice']);
  });

  it('reports every bad entry', () => {
    expect(messages(JSON.stringify({ a: 0, b: 1, c: 'x' }))).toEqual([
      'entry 1: the Zendesk user id must be a positive integer',
      'entry 3: the Zendesk user id must be a positive integer',
    ]);
  });
});

describe('assigneeResolver', () => {
  // Raw JSON: in an object literal `__proto__` would set the prototype instead of a key.
  const map = whitelabelAssigneesSchema.parse(`{"${TEAMMATE}": 9012345, "__proto__": 7}`);
  const resolveAssignee = assigneeResolver(map);

  it('maps a known teammate', () => {
    expect(resolveAssignee(TEAMMATE)).toEqual({ crmAssigneeId: '9012345', mapped: true });
  });

  it('matches teammate ids case-insensitively', () => {
    expect(resolveAssignee(TEAMMATE.toUpperCase())).toEqual({ crmAssigneeId: '9012345', mapped: true });
  });

  it('leaves an unknown teammate unassigned and says it is unmapped', () => {
    expect(resolveAssignee(OTHER)).toEqual({ crmAssigneeId: null, mapped: false });
  });

  it('an unassigned ticket needs no mapping', () => {
    expect(resolveAssignee(null)).toEqual({ crmAssigneeId: null, mapped: true });
  });

  it.each(['constructor', 'toString', 'hasOwnProperty'])('does not find Object.prototype members (%s)', (id) => {
    expect(resolveAssignee(id)).toEqual({ crmAssigneeId: null, mapped: false });
  });

  it('treats "__proto__" as an ordinary key', () => {
    expect(resolveAssignee('__proto__')).toEqual({ crmAssigneeId: '7', mapped: true });
  });

  it('with an empty map, every teammate is unmapped', () => {
    expect(assigneeResolver({})(TEAMMATE)).toEqual({ crmAssigneeId: null, mapped: false });
  });
});
