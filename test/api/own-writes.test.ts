import { resolveCrmIdentity } from '../../src/api/webhooks/own-writes';
import { LogCapture } from './helpers';

describe("the bridge's Zendesk user, looked up in the background", () => {
  it('is unknown until the lookup answers, then known', async () => {
    let answer!: (id: string) => void;
    const identity = resolveCrmIdentity(() => new Promise<string>((resolve) => (answer = resolve)), new LogCapture().logger);
    expect(identity.bridgeUserId()).toBeNull();
    answer('9001');
    await identity.ready;
    expect(identity.bridgeUserId()).toBe('9001');
  });

  it('retries a failed lookup, and says so without the error hiding the id for good', async () => {
    const logs = new LogCapture();
    let calls = 0;
    const identity = resolveCrmIdentity(
      async () => {
        calls++;
        if (calls < 3) throw new Error('zendesk GET /users/me.json: HTTP 503');
        return '9001';
      },
      logs.logger,
      10,
    );
    await identity.ready;
    expect(calls).toBe(3);
    expect(identity.bridgeUserId()).toBe('9001');
    expect(logs.records().filter((r) => r.level === 'warn' || r.level === 40)).toHaveLength(2);
  });

  it('stops retrying when stopped', async () => {
    let calls = 0;
    const identity = resolveCrmIdentity(
      async () => {
        calls++;
        throw new Error('down');
      },
      new LogCapture().logger,
      10,
    );
    await new Promise((resolve) => setTimeout(resolve, 35));
    identity.stop();
    await identity.ready;
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(calls).toBe(after);
    expect(identity.bridgeUserId()).toBeNull();
  });
});
