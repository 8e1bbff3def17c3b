/**
 * What a bad configuration throws: every problem at once, one line each (`NAME: what is wrong`),
 * so a deployment is fixed in one round trip. Messages never include the value: several
 * variables are secrets, and a misplaced secret is still a secret.
 */
export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
  }
}
