/** Readable output of the CLI: aligned tables and a ticket sheet. `--json` bypasses all of this. */
import type { TicketDetails, TicketListItem } from '../api/gateway';
import { deletedByUser, statusLabel } from '../api/ops/ticket-closure';
import { CRM_NAMES } from '../config/freshdesk';
import type { TicketStateView } from '../workflows/definitions';

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `2026-01-01T09:30:00.000Z` → `2026-01-01 09:30:00Z`; `-` for none. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function ticketTable(tickets: readonly TicketListItem[]): string {
  if (tickets.length === 0) return 'No tickets.';
  return table(
    ['WORKFLOW ID', 'STATUS', 'CRM TICKET', 'EXECUTION', 'STARTED', 'CLOSED'],
    tickets.map((t) => [t.workflowId, statusLabel(t.status, t.deletedByUser), t.crmTicketId ?? '-', t.executionStatus, time(t.startTime), time(t.closeTime)]),
  );
}

/** How a source is named to an operator. */
const SOURCE_NAMES: Record<string, string> = { connect: 'connect', whitelabel: 'white-label' };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** How the helpdesk is named (the API says which it is; an older API says nothing: Zendesk). */
const HELPDESK_NAMES: Readonly<Record<string, string>> = CRM_NAMES;

function stateLines(state: TicketStateView, helpdesk = 'zendesk'): string[] {
  const c = state.counts;
  const source = SOURCE_NAMES[state.source] ?? state.source;
  const crm = HELPDESK_NAMES[helpdesk] ?? helpdesk;
  return [
    `Status:        ${statusLabel(state.status, deletedByUser(state))} (${source} ${state.sourceStatus ?? '-'}, ${crm} ${state.crmStatus ?? '-'})${state.completed ? ', workflow completed' : ''}`,
    `${`${crm}:`.padEnd(15)}${state.crmTicketId ? `ticket ${state.crmTicketId}` : 'no ticket yet'}`,
    ...(state.paused ? [`Paused:        since ${time(state.paused.since)}: ${state.paused.reason} (nothing is synced until resume)`] : []),
    `Last sync:     ${time(state.lastSyncAt)}`,
    `SOLVED timer:  ${state.solvedTimerDeadline ? `fires ${time(state.solvedTimerDeadline)}` : '-'}`,
    `Last error:    ${state.lastError ? `${time(state.lastError.at)} ${state.lastError.operation}: ${state.lastError.type}: ${state.lastError.message}` : '-'}`,
    // Each count with what it counts: a bare "0 + 0" says nothing to whoever reads it.
    `Heard:         ${plural(c.notifications, 'notification')} (webhooks from ${source} or ${crm}), ${plural(c.syncs, 'sync')} (both sides read, differences written)`,
    `Copied:        ${plural(c.userCommentsToCrm, 'user comment')} → ${crm}, ${plural(c.agentRepliesToSource, 'agent reply', 'agent replies')} → ${source}`,
    `Status set:    ${c.statusChangesToCrm} in ${crm}, ${c.statusChangesToSource} in ${source}`,
    ...(state.parked.length > 0 ? [`Parked:        ${state.parked.map((p) => `${p.what}: ${p.reason} (since ${time(p.since)})`).join('; ')}`] : []),
    ...(state.notes.length > 0 ? [`Notes:         ${state.notes.join('; ')}`] : []),
  ];
}

export function ticketSheet(details: TicketDetails): string {
  const e = details.execution;
  const lines = [
    `${details.workflowId}`,
    `Execution:     ${e.status}, started ${time(e.startTime)}${e.closeTime ? `, closed ${time(e.closeTime)}` : ''}, ${e.historyLength} history events, task queue ${e.taskQueue}, run ${e.runId}`,
    ...(details.state ? stateLines(details.state, details.helpdesk) : [`State:         unavailable (${details.stateError ?? 'unknown'})`]),
    '',
  ];
  if (details.pendingActivities.length === 0) lines.push('Pending activities: none');
  else {
    lines.push('Pending activities:');
    lines.push(
      indent(
        table(
          ['ACTIVITY', 'STATE', 'ATTEMPT', 'NEXT ATTEMPT', 'LAST HEARTBEAT', 'LAST FAILURE'],
          details.pendingActivities.map((a) => [
            a.activityType,
            a.state,
            a.maximumAttempts ? `${a.attempt}/${a.maximumAttempts}` : String(a.attempt),
            time(a.nextAttemptScheduleTime),
            time(a.lastHeartbeatTime),
            a.lastFailure ? `${a.lastFailure.type ?? 'failure'}: ${a.lastFailure.message}` : '-',
          ]),
        ),
      ),
    );
  }
  const timeline = details.state?.timeline ?? [];
  lines.push('');
  if (timeline.length === 0) lines.push('Timeline: empty');
  else {
    lines.push('Timeline (oldest first):');
    lines.push(indent(table(['AT', 'KIND', 'WHAT'], timeline.map((t) => [time(t.at), t.kind, t.detail]))));
  }
  return lines.join('\n');
}

export function stateSummary(state: TicketStateView): string {
  return stateLines(state).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
