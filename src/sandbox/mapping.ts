/**
 * The example mapping `npm start` applies when its Zendesk is simulated and `MAPPING_FILE` is
 * unset: the tour's tickets arrive in the simulated Zendesk with their tenant's brand and group,
 * tags, a priority and the source's ids as custom fields (see `zendesk.mapped` in the sandbox's
 * views, and docs/mapping.md, which shows this file). The ids are the simulator's, meaningless
 * to a real Zendesk: a real one always takes its own `MAPPING_FILE`.
 */
import { parseMapping, type TicketMapping } from '../mapping';

export const SANDBOX_MAPPING_FILE = {
  version: 1,
  lookups: {
    brandByTenant: { 'tenant-sim': 2, 'tenant-north': 3 },
    groupByTenant: { 'tenant-sim': 10, 'tenant-north': 11 },
    groupByCategory: { 'general support': 20, billing: 21 },
  },
  connect: {
    customFields: [
      { id: 900001, from: 'tenantId' },
      { id: 900002, from: 'houseId' },
      { id: 900003, from: 'contractId' },
      { id: 900004, from: 'equipmentId' },
      { id: 900005, from: 'alertId' },
      { id: 900006, from: 'userId', personal: true },
    ],
    tags: [{ value: 'connect_app' }, { from: 'tenantId', prefix: 'tenant_' }],
    priority: { from: 'alertId', whenSet: 'high', default: 'normal' },
    brand: { from: 'tenantId', lookup: 'brandByTenant' },
    group: { from: 'tenantId', lookup: 'groupByTenant', default: 10 },
  },
  whitelabel: {
    customFields: [
      { id: 900101, from: 'category' },
      { id: 900102, from: 'subcategory' },
      { id: 900103, from: 'language' },
    ],
    tags: [
      { value: 'whitelabel' },
      { from: 'category', prefix: 'cat_' },
      { from: 'language', prefix: 'lang_' },
    ],
    group: { from: 'category', lookup: 'groupByCategory', default: 20 },
  },
};

export function sandboxMapping(): TicketMapping {
  const parsed = parseMapping(JSON.stringify(SANDBOX_MAPPING_FILE));
  // A broken example is a bug of this file, caught by its test, never an operator's problem.
  if (!parsed.ok) throw new Error(`the sandbox's example mapping is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return parsed.mapping;
}
