/**
 * Schedule specs: only interval specs (`every N [offset by phase]`, aligned on the Unix epoch like
 * the real server) are supported, bounded by the spec's start and end times. Calendar and cron
 * specs are rejected as unsupported.
 */
import { durationMs, timestampMs, api } from '../proto';

export interface IntervalSpec {
  everyMs: number;
  phaseMs: number;
}

export interface CompiledSpec {
  intervals: IntervalSpec[];
  startMs?: number;
  endMs?: number;
}

/** Returns the compiled spec, or a message describing what is not supported. */
export function compileSpec(spec: api.schedule.v1.IScheduleSpec | null | undefined): CompiledSpec | string {
  if (!spec) return 'schedule spec is required';
  if (spec.calendar?.length || spec.structuredCalendar?.length || spec.cronString?.length) {
    return 'calendar and cron schedule specs are not supported by the in-memory Temporal test service (use intervals)';
  }
  const intervals = (spec.interval ?? []).map((i) => ({ everyMs: durationMs(i.interval) ?? 0, phaseMs: durationMs(i.phase) ?? 0 }));
  if (intervals.length === 0 || intervals.some((i) => i.everyMs <= 0)) return 'schedule spec needs at least one positive interval';
  return { intervals, startMs: timestampMs(spec.startTime), endMs: timestampMs(spec.endTime) };
}

/** The first action time strictly after `afterMs`, if any. */
export function nextActionTime(spec: CompiledSpec, afterMs: number): number | undefined {
  const from = Math.max(afterMs, (spec.startMs ?? Number.NEGATIVE_INFINITY) - 1);
  let best: number | undefined;
  for (const { everyMs, phaseMs } of spec.intervals) {
    const candidate = Math.floor((from - phaseMs) / everyMs) * everyMs + phaseMs + everyMs;
    if (best === undefined || candidate < best) best = candidate;
  }
  if (best === undefined || (spec.endMs !== undefined && best > spec.endMs)) return undefined;
  return best;
}

export function futureActionTimes(spec: CompiledSpec, afterMs: number, count: number): number[] {
  const times: number[] = [];
  let cursor = afterMs;
  while (times.length < count) {
    const next = nextActionTime(spec, cursor);
    if (next === undefined) break;
    times.push(next);
    cursor = next;
  }
  return times;
}
