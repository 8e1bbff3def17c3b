/**
 * Search attribute definitions and values.
 *
 * Values travel as JSON payloads. SDKs may omit the `type` metadata when writing, but the typed
 * client API needs it when reading, so — like the real server — values are validated against the
 * registered type and returned annotated with it.
 */
import { invalidArgument } from './errors';
import { api, IndexedValueType, Payload, SearchAttributes } from './proto';

export type IndexedType = api.enums.v1.IndexedValueType;

/** Names used in payload metadata and by the operator API's string form. */
const TYPE_NAMES: ReadonlyMap<IndexedType, string> = new Map([
  [IndexedValueType.INDEXED_VALUE_TYPE_TEXT, 'Text'],
  [IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, 'Keyword'],
  [IndexedValueType.INDEXED_VALUE_TYPE_INT, 'Int'],
  [IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE, 'Double'],
  [IndexedValueType.INDEXED_VALUE_TYPE_BOOL, 'Bool'],
  [IndexedValueType.INDEXED_VALUE_TYPE_DATETIME, 'Datetime'],
  [IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST, 'KeywordList'],
]);

export function typeName(type: IndexedType): string {
  return TYPE_NAMES.get(type) ?? 'Unspecified';
}

export function parseTypeName(name: string): IndexedType | undefined {
  for (const [type, typeNameValue] of TYPE_NAMES) if (typeNameValue.toLowerCase() === name.toLowerCase()) return type;
  return undefined;
}

const K = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const KL = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST;
const DT = IndexedValueType.INDEXED_VALUE_TYPE_DATETIME;
const INT = IndexedValueType.INDEXED_VALUE_TYPE_INT;
const BOOL = IndexedValueType.INDEXED_VALUE_TYPE_BOOL;

/** System search attributes: maintained by the server; queryable, mostly not writable. */
export const SYSTEM_SEARCH_ATTRIBUTES: ReadonlyMap<string, IndexedType> = new Map([
  ['WorkflowId', K],
  ['RunId', K],
  ['WorkflowType', K],
  ['StartTime', DT],
  ['ExecutionTime', DT],
  ['CloseTime', DT],
  ['ExecutionStatus', K],
  ['TaskQueue', K],
  ['HistoryLength', INT],
  ['HistorySizeBytes', INT],
  ['ExecutionDuration', INT],
  ['StateTransitionCount', INT],
  ['ParentWorkflowId', K],
  ['ParentRunId', K],
  ['RootWorkflowId', K],
  ['RootRunId', K],
  // Predefined attributes that SDKs and server features write.
  ['TemporalChangeVersion', KL],
  ['BinaryChecksums', KL],
  ['BuildIds', KL],
  ['BatcherNamespace', K],
  ['BatcherUser', K],
  ['TemporalScheduledStartTime', DT],
  ['TemporalScheduledById', K],
  ['TemporalSchedulePaused', BOOL],
  ['TemporalNamespaceDivision', K],
  ['TemporalPauseInfo', KL],
  ['TemporalReportedProblems', KL],
  ['TemporalWorkerDeploymentVersion', K],
  ['TemporalWorkerDeployment', K],
  ['TemporalWorkflowVersioningBehavior', K],
]);

/** Predefined system attributes that workflow code / start requests may set. */
const WRITABLE_SYSTEM_ATTRIBUTES = new Set([
  'TemporalChangeVersion',
  'BinaryChecksums',
  'BuildIds',
  'BatcherNamespace',
  'BatcherUser',
  'TemporalScheduledStartTime',
  'TemporalScheduledById',
  'TemporalSchedulePaused',
  'TemporalNamespaceDivision',
]);

export type SearchAttributeValue = string | number | boolean | string[] | null;

export function decodePayloadValue(payload: Payload | null | undefined): SearchAttributeValue | undefined {
  const data = payload?.data;
  if (!data || data.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as SearchAttributeValue;
  } catch {
    return undefined;
  }
}

function encodeJson(value: unknown, type?: IndexedType): Payload {
  const metadata: Record<string, Uint8Array> = { encoding: Buffer.from('json/plain') };
  if (type !== undefined) metadata.type = Buffer.from(typeName(type));
  return { metadata, data: Buffer.from(JSON.stringify(value)) };
}

export function keywordPayload(value: string): Payload {
  return encodeJson(value, K);
}

/** A payload that means "remove this attribute" in an upsert: empty, `null` or `[]`. */
function isRemoval(value: SearchAttributeValue | undefined): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

function valueMatchesType(value: SearchAttributeValue, type: IndexedType): boolean {
  const values = Array.isArray(value) ? value : [value];
  switch (type) {
    case IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD:
    case IndexedValueType.INDEXED_VALUE_TYPE_TEXT:
    case IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST:
      return values.every((v) => typeof v === 'string');
    case IndexedValueType.INDEXED_VALUE_TYPE_INT:
      return values.every((v) => typeof v === 'number' && Number.isInteger(v));
    case IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE:
      return values.every((v) => typeof v === 'number');
    case IndexedValueType.INDEXED_VALUE_TYPE_BOOL:
      return values.every((v) => typeof v === 'boolean');
    case IndexedValueType.INDEXED_VALUE_TYPE_DATETIME:
      return values.every((v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)));
    default:
      return false;
  }
}

/** Per-namespace registry of custom search attributes. */
export class SearchAttributeRegistry {
  private readonly custom = new Map<string, IndexedType>();

  constructor(initial: Record<string, IndexedType> = {}) {
    for (const [name, type] of Object.entries(initial)) this.custom.set(name, type);
  }

  add(name: string, type: IndexedType): void {
    if (SYSTEM_SEARCH_ATTRIBUTES.has(name)) {
      throw invalidArgument(`Search attribute ${name} is reserved by system.`);
    }
    const existing = this.custom.get(name);
    if (existing !== undefined && existing !== type) {
      throw invalidArgument(`Search attribute ${name} already exists with type ${typeName(existing)}.`);
    }
    this.custom.set(name, type);
  }

  remove(name: string): void {
    if (!this.custom.delete(name)) throw new Error(`Search attribute ${name} doesn't exist.`);
  }

  typeOf(name: string): IndexedType | undefined {
    return this.custom.get(name) ?? SYSTEM_SEARCH_ATTRIBUTES.get(name);
  }

  customAttributes(): Record<string, IndexedType> {
    return Object.fromEntries(this.custom);
  }

  systemAttributes(): Record<string, IndexedType> {
    return Object.fromEntries(SYSTEM_SEARCH_ATTRIBUTES);
  }

  /**
   * Validates search attributes written by a client or workflow and merges them into `current`.
   * Throws INVALID_ARGUMENT with the real server's wording for unknown names and bad values.
   */
  merge(current: Record<string, Payload>, update: SearchAttributes | null | undefined): Record<string, Payload> {
    const merged = { ...current };
    for (const [name, payload] of Object.entries(update?.indexedFields ?? {})) {
      const type = this.custom.get(name) ?? (WRITABLE_SYSTEM_ATTRIBUTES.has(name) ? SYSTEM_SEARCH_ATTRIBUTES.get(name) : undefined);
      if (type === undefined) {
        if (SYSTEM_SEARCH_ATTRIBUTES.has(name)) {
          throw invalidArgument(`Search attribute ${name} is reserved by system.`);
        }
        throw invalidArgument(`search attribute ${name} is not defined`);
      }
      const value = decodePayloadValue(payload);
      if (isRemoval(value)) {
        delete merged[name];
        continue;
      }
      if (!valueMatchesType(value!, type)) {
        throw invalidArgument(`invalid value for search attribute ${name} of type ${typeName(type)}: ${JSON.stringify(value)}`);
      }
      merged[name] = encodeJson(value, type);
    }
    return merged;
  }
}

/** Decodes stored search attributes to plain values (visibility queries). */
export function decodeSearchAttributes(stored: Record<string, Payload>): Record<string, SearchAttributeValue> {
  const out: Record<string, SearchAttributeValue> = {};
  for (const [name, payload] of Object.entries(stored)) {
    const value = decodePayloadValue(payload);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
