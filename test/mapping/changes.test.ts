/**
 * Later changes of a mapped source field (src/mapping/changes.ts): the digests that tell a change
 * (no value in them), and the write that follows it: only the targets that changed, tags added
 * and taken off one by one, nothing at all when nothing changed.
 */
import { applyMapping } from '../../src/mapping';
import { diffMapped, mappedDigest, tagDigest } from '../../src/mapping/changes';
import type { SourceFields } from '../../src/ports/ticket-source';
import { checkedMapping } from '../support/mapping';

const mapping = checkedMapping({
  version: 1,
  connect: {
    customFields: [
      { id: 5001, from: 'houseId' },
      { id: 5003, from: 'userId', personal: true },
      { id: 5004, value: 'clevergy-app' },
    ],
    tags: [{ value: 'from_app' }, { from: 'tenantId', prefix: 'tenant_' }],
    priority: { from: 'alertId', whenSet: 'urgent', default: 'normal' },
    brand: { from: 'tenantId', lookup: { north: 101, south: 102 } },
    group: { from: 'tenantId', lookup: { north: 201, south: 202 }, default: 200 },
    assignee: { from: 'tenantId', lookup: { north: [7, 8], south: [9] } },
  },
});

const fieldsOf = (source: Partial<Record<string, string | null>>): SourceFields => ({
  tenantId: null,
  userId: null,
  houseId: null,
  contractId: null,
  equipmentId: null,
  alertId: null,
  ...source,
});

/** What the mapping yields for these fields, and its digests. */
const mapped = (source: Partial<Record<string, string | null>>) => {
  const { fields } = applyMapping(mapping, 'connect', 'T-1', fieldsOf(source));
  return { fields, digest: mappedDigest(fields) };
};

const before = { tenantId: 'north', userId: 'user-private-7731', houseId: 'house-12' };

describe('the digests of mapped fields', () => {
  test('the same fields give the same digest; any mapped change another; no value is in them', () => {
    const a = mapped(before);
    expect(mapped({ ...before }).digest).toEqual(a.digest);
    expect(mapped({ ...before, houseId: 'house-13' }).digest.digest).not.toBe(a.digest.digest);
    expect(mapped({ ...before, alertId: 'alert-1' }).digest.digest).not.toBe(a.digest.digest);
    const text = JSON.stringify(a.digest);
    for (const value of ['north', 'user-private-7731', 'house-12', 'tenant_north', 'from_app', '101', '201']) expect(text).not.toContain(value);
  });

  test('a source field no rule reads, and the assignee pool, change nothing', () => {
    const a = mapped(before);
    expect(mapped({ ...before, equipmentId: 'eq-1' }).digest).toEqual(a.digest);
    // Same tenant, so the same pool; the assignee is the create's and is never followed.
    expect(Object.keys(a.digest.targets)).not.toContain('assigneeId');
  });
});

describe('what a change writes', () => {
  test('nothing changed: nothing to write', () => {
    const a = mapped(before);
    expect(diffMapped(a.digest, mapped({ ...before }).digest, a.fields)).toBeNull();
  });

  test('a ticket moved to another tenant: brand, group and the tenant tag, nothing else', () => {
    const a = mapped(before);
    const b = mapped({ ...before, tenantId: 'south' });
    const diff = diffMapped(a.digest, b.digest, b.fields)!;
    expect(diff.targets).toEqual(['group', 'brand', 'tags']);
    expect(diff.change.set).toEqual({ groupId: 202, brandId: 102 });
    expect(diff.change.addTags).toEqual(['tenant_south']);
    const remove = diff.change.removeTags!;
    expect(['ticket-bridge', 'source-connect', 'from_app', 'tenant_south', 'vip', 'tenant_north'].filter(remove)).toEqual(['tenant_north']);
  });

  test('one custom field changed: that one only, with its new value', () => {
    const a = mapped(before);
    const b = mapped({ ...before, houseId: 'house-13' });
    const diff = diffMapped(a.digest, b.digest, b.fields)!;
    expect(diff).toEqual({ change: { set: { customFields: [{ id: 5001, value: 'house-13' }] }, addTags: [] }, targets: ['customField:5001'] });
  });

  test('a field cleared: its custom field is emptied; a target without a default is left as it is', () => {
    const a = mapped({ ...before, alertId: 'alert-1' });
    const b = mapped({ ...before, houseId: null });
    const diff = diffMapped(a.digest, b.digest, b.fields)!;
    // alertId cleared: priority falls back to its default (normal), which is a change.
    expect(diff.change.set).toEqual({ customFields: [{ id: 5001, value: null }], priority: 'normal' });
    const gone = mapped({ tenantId: 'elsewhere' });
    const fromNorth = diffMapped(mapped({ tenantId: 'north' }).digest, gone.digest, gone.fields)!;
    // No brand for that tenant: the brand stays as it is; the group takes its default.
    expect(fromNorth.change.set).toEqual({ groupId: 200 });
    expect(fromNorth.change.addTags).toEqual(['tenant_elsewhere']);
  });

  test('a tag the mapping gave that an agent also added is not added twice', () => {
    const a = mapped(before);
    const b = mapped({ ...before, tenantId: 'south' });
    expect(diffMapped(a.digest, b.digest, b.fields)!.change.addTags).not.toContain('from_app');
    expect(a.digest.tags).toContain(tagDigest('from_app'));
  });
});
