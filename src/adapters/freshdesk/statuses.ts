/**
 * Freshdesk's numeric statuses and the port's statuses. Built in: 2 Open, 3 Pending, 4 Resolved,
 * 5 Closed (Freshdesk has no "new" and no "on hold"). Accounts add custom statuses with other
 * numbers: `FRESHDESK_STATUS_MAP` (`6=hold,7=pending`) says what each means, and may re-map the
 * built-in ones. A status the map does not know reads as `hold`: an agent is still on it, so
 * the app sees the ticket OPEN, and the bridge never writes it back.
 */
import { CRM_STATUSES, type CrmStatus } from '../../domain/ticket';

export type FreshdeskStatusMap = ReadonlyMap<number, CrmStatus>;

export const DEFAULT_FRESHDESK_STATUSES: FreshdeskStatusMap = new Map<number, CrmStatus>([
  [2, 'open'],
  [3, 'pending'],
  [4, 'solved'],
  [5, 'closed'],
]);

/** `6=hold,7=pending` → a map over the defaults; null when the text is not such a list. */
export function parseFreshdeskStatusMap(text: string): FreshdeskStatusMap | null {
  const map = new Map(DEFAULT_FRESHDESK_STATUSES);
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const match = /^(\d{1,6})\s*=\s*([a-z]+)$/.exec(entry);
    if (!match || !(CRM_STATUSES as readonly string[]).includes(match[2]!)) return null;
    map.set(Number(match[1]), match[2] as CrmStatus);
  }
  return map;
}

export class FreshdeskStatuses {
  constructor(private readonly map: FreshdeskStatusMap = DEFAULT_FRESHDESK_STATUSES) {}

  read(code: number): CrmStatus {
    return this.map.get(code) ?? 'hold';
  }

  /** The number written for a status: the lowest mapped to it; `new` is written as open, `hold` as pending when unmapped. */
  write(status: CrmStatus): number {
    const codeOf = (s: CrmStatus) => [...this.map.entries()].filter(([, v]) => v === s).map(([k]) => k).sort((a, b) => a - b)[0];
    const code = codeOf(status) ?? (status === 'new' ? codeOf('open') : status === 'hold' ? codeOf('pending') : undefined);
    if (code === undefined) throw new Error(`no Freshdesk status is mapped to '${status}'`);
    return code;
  }
}
