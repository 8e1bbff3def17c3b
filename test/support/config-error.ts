import { ConfigError, loadConfig } from '../../src/config';

/** The ConfigError `loadConfig(env)` throws; fails the test if it throws none (or another error). */
export function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
