/**
 * The mapping file (docs/mapping.md): what is refused and how it is named (by its path in the
 * file, every problem at once), what a checked mapping yields for a ticket's fields, and the
 * start-up and CLI checks over a real file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { applyMapping, parseMapping, PERSONAL, type TicketMapping } from '../../src/mapping';
import { pickFromPool } from '../../src/mapping/apply';
import { SANDBOX_MAPPING_FILE, sandboxMapping } from '../../src/sandbox/mapping';
import { configError } from '../support/config-error';
import { runBin } from '../support/cli';

jest.setTimeout(60_000);

const issuesOf = (file: unknown) => {
  const parsed = parseMapping(JSON.stringify(file));
  if (parsed.ok) throw new Error('expected the mapping to be refused');
  return parsed.issues;
};

function mappingOf(file: unknown): TicketMapping {
  const parsed = parseMapping(JSON.stringify(file));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.mapping;
}

describe('checking a mapping file', () => {
  test('every problem of the schema, each named by its path', () => {
    const issues = issuesOf({
      version: 2,
      connect: {
        customFields: [{ id: -1, value: 'x' }, { id: 7, value: 1, lookup: { a: 1 } }],
        tags: [{ value: 'has space' }, { from: 'category' }],
        brand: { from: 'tenantId' },
        group: { value: 3, from: 'tenantId' },
        priority: { value: 'critical' },
        sideways: true,
      },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'version', message: 'must be 1' },
        { path: 'connect.customFields.0.id', message: 'must be a Zendesk id (a positive integer)' },
        { path: 'connect.customFields.1.lookup', message: 'goes with "from", not with "value"' },
        { path: 'connect.tags.0.value', message: 'must be a tag: 1-80 characters, no spaces or commas' },
        { path: 'connect.tags.1.from', message: expect.stringContaining('must be a field of this source: one of tenantId') },
        { path: 'connect.brand.from', message: expect.stringContaining('needs lookup or whenSet') },
        { path: 'connect.group', message: 'needs either "value" (a constant) or "from" (a source field)' },
        { path: 'connect.priority.value', message: 'must be one of low, normal, high, urgent' },
        { path: 'connect', message: expect.stringContaining('sideways') },
      ]),
    );
    expect(issues).toHaveLength(9);
  });

  test('named tables: a missing one, and values that do not fit the target that uses them', () => {
    expect(
      issuesOf({
        version: 1,
        lookups: { brands: { acme: 'brand-a', beta: 12 }, pools: { acme: [] } },
        connect: { brand: { from: 'tenantId', lookup: 'brands' }, group: { from: 'tenantId', lookup: 'groups' }, assignee: { from: 'tenantId', lookup: 'pools' } },
      }),
    ).toEqual([
      { path: 'connect.group.lookup', message: 'names no table in lookups ("groups")' },
      { path: 'lookups.brands.acme', message: 'must be a Zendesk id (a positive integer) (the table is used by connect.brand)' },
      { path: 'lookups.pools.acme', message: expect.stringContaining('(the table is used by connect.assignee)') },
    ]);
  });

  test('a file that is not JSON is one problem about the file', () => {
    expect(parseMapping('{"version": 1,')).toEqual({ ok: false, issues: [{ path: '(file)', message: expect.stringMatching(/^is not JSON: /) }] });
  });

  test("docs/mapping.md's example is a valid mapping", () => {
    const doc = readFileSync(join(__dirname, '../../docs/mapping.md'), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(doc)![1]!;
    const parsed = parseMapping(example);
    expect(parsed).toMatchObject({ ok: true });
  });

  test("the sandbox's example is a valid mapping", () => {
    expect(sandboxMapping().connect?.brand?.table).toEqual(SANDBOX_MAPPING_FILE.lookups.brandByTenant);
  });
});

describe('applying a mapping to a ticket', () => {
  const mapping = mappingOf({
    version: 1,
    lookups: { brandByTenant: { north: 11 }, pool: { north: [501, 502, 503] } },
    connect: {
      customFields: [{ id: 1, from: 'houseId' }, { id: 2, from: 'userId', personal: true }, { id: 3, value: true }, { id: 4, from: 'equipmentId' }],
      tags: [{ from: 'tenantId', prefix: 't_' }, { value: 'app' }, { value: 'app' }],
      priority: { from: 'alertId', whenSet: 'high', default: 'low' },
      brand: { from: 'tenantId', lookup: 'brandByTenant' },
      group: { from: 'tenantId', lookup: { north: 21 }, default: 20 },
      assignee: { from: 'tenantId', lookup: 'pool' },
    },
  });
  const fields = { tenantId: 'north', userId: 'u-1', houseId: 'h-1', contractId: null, equipmentId: '  ', alertId: 'a-1' };

  test('constants, raw values, lookups, whenSet and defaults; unset or blank fields give nothing', () => {
    const { fields: mapped, logView } = applyMapping(mapping, 'connect', 'T-1', fields);
    expect(mapped).toEqual({
      customFields: [
        { id: 1, value: 'h-1' },
        { id: 2, value: 'u-1' },
        { id: 3, value: true },
      ],
      tags: ['t_north', 'app'],
      priority: 'high',
      brandId: 11,
      groupId: 21,
      assigneeId: pickFromPool([501, 502, 503], 'T-1'),
    });
    expect(logView.customFields).toEqual({ 1: 'h-1', 2: PERSONAL, 3: true });
    expect(applyMapping(mapping, 'connect', 'T-1', { ...fields, tenantId: 'south', alertId: null }).fields).toMatchObject({ priority: 'low', groupId: 20 });
    expect(applyMapping(mapping, 'connect', 'T-1', { ...fields, tenantId: 'south' }).fields).not.toHaveProperty('brandId');
  });

  test('a source without rules gets nothing', () => {
    expect(applyMapping(mapping, 'whitelabel', 'x', { category: 'billing' })).toEqual({ fields: {}, logView: {} });
  });

  test('a table key that is a property of every object (constructor, __proto__) is no entry', () => {
    expect(applyMapping(mapping, 'connect', 'T-1', { ...fields, tenantId: 'constructor' }).fields).toMatchObject({ groupId: 20 });
    expect(applyMapping(mapping, 'connect', 'T-1', { ...fields, tenantId: 'constructor' }).fields).not.toHaveProperty('brandId');
  });

  test('a pool gives a ticket the same agent every time, and spreads tickets over all of it', () => {
    const pool = [501, 502, 503];
    const picks = Array.from({ length: 300 }, (_, i) => pickFromPool(pool, `T-${i}`));
    expect(new Set(picks)).toEqual(new Set(pool));
    for (const agent of pool) expect(picks.filter((p) => p === agent).length).toBeGreaterThan(60);
    expect(pickFromPool(pool, 'T-7')).toBe(picks[7]);
  });

  test('raw values become valid tags', () => {
    const tagged = mappingOf({ version: 1, whitelabel: { tags: [{ from: 'category', prefix: 'cat_' }] } });
    expect(applyMapping(tagged, 'whitelabel', 'x', { category: ' General Support, EU ' }).fields.tags).toEqual(['cat_general_support_eu']);
  });
});

describe('MAPPING_FILE at start-up and `ticket-bridge mapping check`', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mapping-'));
    writeFileSync(join(dir, 'good.json'), JSON.stringify(SANDBOX_MAPPING_FILE));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ version: 1, connect: { brand: { from: 'tenantId' }, tags: [{ from: 'nope' }] } }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a valid file is loaded; each problem of a bad one is a MAPPING_FILE issue naming its path, never the file path', () => {
    expect(loadConfig({ MAPPING_FILE: join(dir, 'good.json') }).mapping?.whitelabel?.tags).toHaveLength(3);
    expect(loadConfig({}).mapping).toBeNull();
    const error = configError({ MAPPING_FILE: join(dir, 'bad.json') });
    expect(error.issues).toEqual([
      { variable: 'MAPPING_FILE', message: expect.stringMatching(/^connect\.tags\.0\.from: must be a field of this source/) },
      { variable: 'MAPPING_FILE', message: expect.stringMatching(/^connect\.brand\.from: needs lookup or whenSet/) },
    ]);
    expect(configError({ MAPPING_FILE: join(dir, 'missing.json') }).issues).toEqual([{ variable: 'MAPPING_FILE', message: '(file): cannot be read (ENOENT)' }]);
    expect(error.message).not.toContain(dir);
  });

  test('the CLI says what a valid file maps (no values), and lists every problem of a bad one with exit 2', async () => {
    const good = await runBin(['mapping', 'check', join(dir, 'good.json')], {});
    expect(good).toMatchObject({ code: 0, stderr: '' });
    expect(good.stdout).toContain('custom field 900006 ← userId (personal)');
    expect(good.stdout).toContain('brand ← tenantId via a table');
    expect(good.stdout).not.toContain('tenant-sim');
    const bad = await runBin(['mapping', 'check', join(dir, 'bad.json')], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('connect.tags.0.from: must be a field of this source');
    expect(bad.stderr).toContain('connect.brand.from: needs lookup or whenSet');
    expect((await runBin(['mapping', 'verify', 'x'], {})).code).toBe(2);
  });
});
