/**
 * ops/grafana/ticket-bridge.json against Grafana's published dashboard model (`@grafana/schema`,
 * the types Grafana generates from the schema it validates dashboards with): the dashboard, each
 * panel and each panel's plugin options, type-checked as object literals (test/support/
 * grafana-schema.ts). Then what types cannot say: a schema version Grafana can migrate from,
 * panel types it ships, data source references that resolve, query ids unique per panel.
 * (Ids, the grid and the metric names are checked by dashboards.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkAgainstGrafanaSchema, grafanaSchemaDir, grafanaSchemaVersion } from '../support/grafana-schema';

jest.setTimeout(60_000);

interface Target {
  refId: string;
  datasource?: { type?: string; uid?: string };
}
interface DashboardJson {
  schemaVersion: number;
  templating: { list: Array<{ name: string; type: string; query?: string }> };
  panels: Array<{ id: number; type: string; title: string; datasource?: { type?: string; uid?: string }; targets?: Target[] }>;
}

const DASHBOARD = JSON.parse(readFileSync(resolve(__dirname, '../../ops/grafana/ticket-bridge.json'), 'utf8')) as DashboardJson;

describe("the dashboard against Grafana's own model (@grafana/schema)", () => {
  test('Grafana\'s Dashboard, Panel and RowPanel types and the stat and timeseries plugins\' option types accept it', () => {
    expect(checkAgainstGrafanaSchema(DASHBOARD)).toEqual([]);
  });

  test('the check refuses what Grafana would not load: a misspelt key, a wrong type, a value outside an enum, an unknown panel type', () => {
    const broken = structuredClone(DASHBOARD) as unknown as { graphTooltip: unknown; panels: Array<Record<string, unknown>> };
    const stat = broken.panels.find((p) => p.type === 'stat')!;
    const series = broken.panels.find((p) => p.type === 'timeseries')!;
    stat.gridPos = { ...(stat.gridPos as object), w: '8' };
    (stat.options as Record<string, unknown>).colorMode = 'rainbow';
    series.titel = 'misspelt';
    broken.panels.push({ id: 99, type: 'no-such-panel', title: 'x' });
    broken.graphTooltip = 7;
    const problems = checkAgainstGrafanaSchema(broken);
    const on = (pattern: RegExp) => problems.filter((p) => pattern.test(p.line) || pattern.test(p.message));
    expect(on(/"w": "8"/)).toHaveLength(1);
    expect(on(/"colorMode": "rainbow"/)).toHaveLength(1);
    expect(on(/titel/)).toHaveLength(1);
    expect(on(/no-such-panel|unknownPanelType|not assignable to parameter of type 'never'/).length).toBeGreaterThanOrEqual(1);
    expect(on(/"graphTooltip": 7/)).toHaveLength(1);
  });

  test('a schema version the installed Grafana schema knows (older ones are migrated forward on load)', () => {
    expect(DASHBOARD.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(DASHBOARD.schemaVersion).toBeLessThanOrEqual(grafanaSchemaVersion());
  });

  test('panel types Grafana ships, data sources that resolve to the dashboard\'s variable, unique query ids per panel', () => {
    const variables = new Map(DASHBOARD.templating.list.map((v) => [v.name, v]));
    expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const shipped = (type: string) => {
      try {
        require.resolve(`${grafanaSchemaDir()}/dist/cjs/raw/composable/${type}/panelcfg/x/types.gen.cjs`);
        return true;
      } catch {
        return false;
      }
    };
    for (const panel of DASHBOARD.panels) {
      if (panel.type === 'row') continue;
      expect({ title: panel.title, shipped: shipped(panel.type) }).toEqual({ title: panel.title, shipped: true });
      const refs = [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)];
      for (const ref of refs) expect({ title: panel.title, ref }).toEqual({ title: panel.title, ref: { type: 'prometheus', uid: '${datasource}' } });
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect({ title: panel.title, unique: new Set(refIds).size === refIds.length }).toEqual({ title: panel.title, unique: true });
    }
  });
});
