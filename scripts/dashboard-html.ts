/**
 * A Grafana dashboard's panels drawn as one HTML page of plain SVG, from Prometheus
 * `query_range` answers, in the dashboard's own grid layout (24 columns, 30 px per grid row, as
 * Grafana lays them out), with Grafana's dark colours and classic palette. For
 * scripts/render-dashboard.ts: Grafana itself is not installable here, so this draws what its
 * panels would show. It draws the panel types ops/grafana/ticket-bridge.json uses: `row`,
 * `timeseries` (lines; stacked areas and step lines when the panel asks) and `stat` (the last
 * value of each series, coloured by the panel's thresholds).
 */

export interface Series {
  /** The legend, from the target's `legendFormat`. */
  name: string;
  /** [unix seconds, value]; NaN for no value (a gap). */
  points: Array<[number, number]>;
}

export interface PanelJson {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: {
    defaults?: {
      unit?: string;
      thresholds?: { steps: Array<{ color: string; value: number | null }> };
      custom?: { stacking?: { mode?: string }; lineInterpolation?: string; fillOpacity?: number };
    };
  };
  options?: { colorMode?: string };
}

export interface RenderInput {
  title: string;
  /** What the page says about how it was made (shown under the title). */
  caption: string;
  from: number;
  to: number;
  panels: Array<{ panel: PanelJson; series: Series[] }>;
}

/** The panel types drawn here; any other stops the rendering rather than being drawn wrongly. */
const DRAWN_TYPES = new Set(['row', 'timeseries', 'stat']);
const PAGE_WIDTH = 1800;
const GRID_ROW_PX = 30;
const GAP = 8;
const COLUMN = PAGE_WIDTH / 24;
/** Grafana's classic palette, in its order. */
const PALETTE = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A', '#F2495C', '#5794F2', '#B877D9', '#705DA0', '#37872D', '#FADE2A', '#447EBC', '#C15C17'];
const NAMED_COLOURS: Record<string, string> = { green: '#73BF69', red: '#F2495C', orange: '#FF9830', yellow: '#FADE2A', blue: '#5794F2', purple: '#B877D9' };

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A value as Grafana's unit formatting would show it (the units this dashboard uses). */
export function formatValue(value: number, unit: string | undefined): string {
  if (!Number.isFinite(value)) return '–';
  const round = (v: number) => (Math.abs(v - Math.round(v)) < 1e-9 ? String(Math.round(v)) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2).replace(/\.?0+$/, '') || '0');
  switch (unit) {
    case 's':
      if (value === 0) return '0 s';
      if (Math.abs(value) < 1) return `${round(value * 1000)} ms`;
      if (Math.abs(value) < 60) return `${round(value)} s`;
      return `${round(value / 60)} min`;
    case 'bytes': {
      const units = ['B', 'KiB', 'MiB', 'GiB'];
      let v = value;
      let i = 0;
      while (Math.abs(v) >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
      }
      return `${round(v)} ${units[i]}`;
    }
    case 'reqps':
      return `${round(value)} req/s`;
    case 'ops':
      return `${round(value)} ops/s`;
    default:
      return round(value);
  }
}

function thresholdColour(panel: PanelJson, value: number): string {
  const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [{ color: 'green', value: null }];
  let colour = steps[0]!.color;
  for (const step of steps) if (step.value === null || value >= step.value) colour = step.color;
  return NAMED_COLOURS[colour] ?? colour;
}

/** The y axis: a round top at or above `max`, and how many steps divide it into round values. */
function yAxis(max: number): { top: number; steps: number } {
  if (max <= 0 || !Number.isFinite(max)) return { top: 1, steps: 4 };
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const [m, steps] of [[1, 4], [2, 4], [2.5, 5], [5, 5], [10, 5]] as const) if (m * magnitude >= max) return { top: m * magnitude, steps };
  return { top: 10 * magnitude, steps: 5 };
}

const clock = (t: number) => new Date(t * 1000).toISOString().slice(11, 19);

function timeseries(panel: PanelJson, series: Series[], width: number, height: number, from: number, to: number): string {
  const custom = panel.fieldConfig?.defaults?.custom ?? {};
  const stacked = custom.stacking?.mode === 'normal';
  const step = custom.lineInterpolation === 'stepAfter';
  const unit = panel.fieldConfig?.defaults?.unit;
  const legendHeight = 18 * Math.ceil(series.length / 4) + 4;
  const [left, right, top] = [64, 12, 6];
  const plotW = width - left - right;
  const plotH = height - top - 22 - legendHeight;
  // Stacking: each series drawn on top of the sum of those before it, as Grafana's "normal" mode.
  const base = new Map<number, number>();
  const drawn = series.map((s) =>
    s.points.map(([t, v]) => {
      const below = stacked ? (base.get(t) ?? 0) : 0;
      const upper = Number.isFinite(v) ? below + v : NaN;
      if (stacked && Number.isFinite(v)) base.set(t, upper);
      return { t, v: upper, below };
    }),
  );
  const { top: max, steps: ySteps } = yAxis(Math.max(0, ...drawn.flat().map((p) => p.v).filter(Number.isFinite)));
  const x = (t: number) => left + ((t - from) / (to - from)) * plotW;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  for (let i = 0; i <= ySteps; i++) {
    const v = (max * i) / ySteps;
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${escape(formatValue(v, unit))}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const t = from + ((to - from) * i) / 5;
    parts.push(`<text x="${x(t)}" y="${top + plotH + 16}" text-anchor="${i === 0 ? 'start' : i === 5 ? 'end' : 'middle'}">${clock(t)}</text>`);
  }
  drawn.forEach((points, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    // Runs of finite points; each becomes a line (and, filled, an area down to the series below).
    const runs: Array<typeof points> = [[]];
    for (const p of points) {
      if (Number.isFinite(p.v)) runs[runs.length - 1]!.push(p);
      else runs.push([]);
    }
    const path = (run: typeof points, value: (p: (typeof points)[number]) => number) =>
      run.flatMap((p, k) => [...(step && k > 0 ? [`${x(p.t)},${y(value(run[k - 1]!))}`] : []), `${x(p.t)},${y(value(p))}`]);
    for (const run of runs.filter((r) => r.length > 0)) {
      const line = path(run, (p) => p.v);
      if (stacked || (custom.fillOpacity ?? 0) > 0) {
        const floor = path(run, (p) => p.below).reverse();
        parts.push(`<polygon points="${[...line, ...floor].join(' ')}" fill="${colour}" fill-opacity="${(custom.fillOpacity ?? 10) / 100}" stroke="none"/>`);
      }
      parts.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    }
  });
  if (series.length === 0) parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="nodata">No data</text>`);
  const legend = series
    .map((s, i) => {
      const lx = 8 + (i % 4) * ((width - 16) / 4);
      const ly = height - legendHeight + 14 + Math.floor(i / 4) * 18;
      return `<rect x="${lx}" y="${ly - 4}" width="12" height="3" fill="${PALETTE[i % PALETTE.length]}"/><text x="${lx + 16}" y="${ly}">${escape(s.name.slice(0, 38))}</text>`;
    })
    .join('');
  return `<svg width="${width}" height="${height}">${parts.join('')}${legend}</svg>`;
}

function stat(panel: PanelJson, series: Series[], width: number, height: number): string {
  const unit = panel.fieldConfig?.defaults?.unit;
  const values = series.map((s) => ({ name: s.name, value: [...s.points].reverse().find(([, v]) => Number.isFinite(v))?.[1] ?? NaN }));
  if (values.length === 0) return `<div class="stat nodata" style="height:${height}px">No data</div>`;
  const background = panel.options?.colorMode === 'background';
  const cellW = width / values.length;
  const cells = values
    .map(({ name, value }) => {
      const colour = thresholdColour(panel, value);
      const style = background ? `background:${colour};color:#fff` : `color:${colour}`;
      const label = values.length > 1 ? `<div class="statname">${escape(name)}</div>` : '';
      return `<div class="statcell" style="width:${cellW - 8}px;height:${height - 8}px;${style}">${label}<div class="statvalue" style="font-size:${Math.min(56, height / 3, cellW / 4)}px">${escape(formatValue(value, unit))}</div></div>`;
    })
    .join('');
  return `<div class="stat" style="height:${height}px">${cells}</div>`;
}

export function dashboardHtml(input: RenderInput): string {
  const boxes = input.panels.map(({ panel, series }) => {
    const { x, y, w, h } = panel.gridPos;
    const left = x * COLUMN + GAP / 2;
    const top = 64 + y * GRID_ROW_PX + GAP / 2;
    const width = w * COLUMN - GAP;
    const height = h * GRID_ROW_PX - GAP;
    if (!DRAWN_TYPES.has(panel.type)) throw new Error(`panel ${panel.id} (${panel.title}): cannot draw a '${panel.type}' panel; teach scripts/dashboard-html.ts`);
    if (panel.type === 'row') return `<div class="row" style="left:${left}px;top:${top}px;width:${width}px">${escape(panel.title)}</div>`;
    const bodyH = height - 34;
    const body = panel.type === 'stat' ? stat(panel, series, width - 16, bodyH) : timeseries(panel, series, width - 16, bodyH, input.from, input.to);
    return `<div class="panel" style="left:${left}px;top:${top}px;width:${width}px;height:${height}px"><div class="title">${escape(panel.title)}</div><div class="body">${body}</div></div>`;
  });
  const bottom = Math.max(...input.panels.map(({ panel }) => panel.gridPos.y + panel.gridPos.h));
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #111217; color: #ccccdc; font: 12px Inter, "Helvetica Neue", Arial, sans-serif; }
.page { position: relative; width: ${PAGE_WIDTH}px; height: ${64 + bottom * GRID_ROW_PX + 16}px; }
.header { position: absolute; left: 8px; top: 10px; right: 8px; display: flex; justify-content: space-between; }
.header h1 { font-size: 18px; font-weight: 500; margin: 0; color: #d8d9da; }
.header .caption { color: #8e8e8e; font-size: 12px; margin-top: 4px; }
.header .range { border: 1px solid #2c3235; padding: 6px 10px; border-radius: 2px; height: 16px; }
.panel { position: absolute; background: #181b1f; border: 1px solid #2c3235; border-radius: 2px; box-sizing: border-box; }
.title { height: 28px; line-height: 28px; padding: 0 8px; font-weight: 500; color: #d8d9da; font-size: 13px; }
.body { padding: 0 8px; }
.row { position: absolute; height: 22px; line-height: 22px; font-size: 16px; font-weight: 500; color: #d8d9da; }
svg text { fill: #9fa7b3; font-size: 11px; }
svg text.nodata, .nodata { fill: #8e8e8e; color: #8e8e8e; font-size: 16px; }
.stat { display: flex; gap: 8px; align-items: stretch; }
.stat.nodata { align-items: center; justify-content: center; }
.statcell { border-radius: 2px; display: flex; flex-direction: column; align-items: center; justify-content: center; }
.statname { font-size: 13px; opacity: 0.9; }
.statvalue { font-weight: 500; }
</style></head><body><div class="page">
<div class="header"><div><h1>${escape(input.title)}</h1><div class="caption">${escape(input.caption)}</div></div>
<div class="range">${new Date(input.from * 1000).toISOString().slice(0, 19).replace('T', ' ')} to ${clock(input.to)} UTC</div></div>
${boxes.join('\n')}
</div></body></html>`;
}
