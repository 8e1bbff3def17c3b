/**
 * The workflow and the domain name no helpdesk (issue 20): the helpdesk's name reaches a run
 * through its input (`crmName`), and what is one helpdesk's own lives in its adapter. One line
 * is the exception: the name of runs started before `crmName` existed, which must stay what
 * they said (the default of `DEFAULT_WORKFLOW_SETTINGS`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SRC = resolve(__dirname, '..', '..', 'src');
const HELPDESK_NAMES = /zendesk|freshdesk/i;
const ALLOWED = [{ file: 'workflows/definitions.ts', line: "  crmName: 'Zendesk'," }];

function linesNamingAHelpdesk(folder: string): { file: string; line: string }[] {
  return readdirSync(join(SRC, folder))
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) =>
      readFileSync(join(SRC, folder, name), 'utf8')
        .split('\n')
        .filter((line) => HELPDESK_NAMES.test(line))
        .map((line) => ({ file: `${folder}/${name}`, line })),
    );
}

test('src/workflows and src/domain name no helpdesk, but for the name of runs started before crmName', () => {
  expect([...linesNamingAHelpdesk('workflows'), ...linesNamingAHelpdesk('domain')]).toEqual(ALLOWED);
});
