/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), enough to assert on
 * scraped metrics: samples with their labels and values, and the declared metric types.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** `# TYPE <name> <type>` declarations. */
  types: Record<string, string>;
  /** The samples of one metric whose labels include `labels`. */
  find(name: string, labels?: Record<string, string>): Sample[];
  /** The value of exactly one matching sample. */
  value(name: string, labels?: Record<string, string>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of (text ?? '').matchAll(LABEL)) {
    labels[match[1]!] = match[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  // Any case: prom-client writes `Nan`, which Prometheus reads (Go's ParseFloat ignores case).
  if (Number.isNaN(value) && text.toLowerCase() !== 'nan') throw new Error(`not a sample value: ${text}`);
  return value;
}

export function parsePrometheus(text: string): Scrape {
  const samples: Sample[] = [];
  const types: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types[type[1]!] = type[2]!;
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.push({ name: match[1]!, labels: parseLabels(match[2]), value: parseValue(match[3]!) });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    types,
    find,
    value(name, labels = {}) {
      const found = find(name, labels);
      if (found.length !== 1) throw new Error(`expected one sample of ${name} ${JSON.stringify(labels)}, found ${found.length}`);
      return found[0]!.value;
    },
  };
}
