/**
 * How a configuration group hides its secrets: `JSON.stringify`, pino and `console.log` show a
 * redacted copy instead (someone will log `config.zendesk` one day). The hooks are
 * non-enumerable, so they do not show up in the data itself; a spread copy loses them.
 */
import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

export const hide = <T extends object>(target: T, redacted: () => unknown): T => {
  Object.defineProperty(target, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(target, inspect.custom, { value: () => redacted(), enumerable: false });
  return target;
};
