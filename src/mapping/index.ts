export { applyMapping, PERSONAL, type AppliedMapping } from './apply';
export { describeMappingIssues, loadMappingFile, parseMapping, type MappingIssue, type MappingResult, type TicketMapping } from './load';
export { MAPPABLE_FIELDS } from './schema';
