/** The most of `times` (epoch ms, any order) in any 60 s window [t, t + 60 s): a rate limit's view. */
export function busiestMinute(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= 60_000) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}
