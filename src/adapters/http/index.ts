export { HttpClient, nullIfNotFound } from './client';
export type { HttpClientOptions, HttpMethod, HttpResponse, Operation, RequestOptions } from './client';
export { parseRetryAfter } from './retry-after';
