import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from '../command.ts';
import { CliError, requireString } from '../command.ts';
import { formatTable, openExistingProject } from '../cluster-shared.ts';
import { withJobSession } from '../job-session.ts';
import { classLabelSummary } from '../../db/classes-repo.ts';
import { countOutlierMarks } from '../../db/labels-repo.ts';
import { listClasses } from '../../project/classes.ts';
import { importLabelsFromCsv, importLabelsFromFolder, type LabelImportResult } from '../../pipeline/label/label-import.ts';

const usage = 'spice-workbench labels import --project <dir> <file.csv|labelled-folder> [--json]\n       spice-workbench labels list --project <dir> [--json]';
const SHOWN_REJECTIONS = 50;

export const labelsCommand: Command = {
  name: 'labels',
  usage,
  summary: 'Bring in the labels a person already has (a CSV path,class or a folder with one sub-folder per class) as person labels; list the classes.',
  options: {
    project: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args) {
    const [action, source, ...rest] = args.positionals;
    if (rest.length > 0) throw new CliError(`unexpected arguments: ${rest.join(' ')}\nusage: ${usage}`, 2);
    const dir = requireString(args, 'project', usage);
    const json = Boolean(args.values.json);
    if (action === 'list') return listLabels(dir, json);
    if (action !== 'import') throw new CliError(`labels: give 'import' or 'list'\nusage: ${usage}`, 2);
    if (!source) throw new CliError(`labels import: give the CSV file or labelled folder\nusage: ${usage}`, 2);
    const path = resolve(source);
    if (!existsSync(path)) throw new CliError(`${path} does not exist`);
    const project = openExistingProject(dir);
    return withJobSession(
      project,
      {
        cancelled: 'label import cancelled: no label was written',
      },
      async (signal) => {
        const result = statSync(path).isDirectory() ? await importLabelsFromFolder(project, path, { signal }) : await importLabelsFromCsv(project, path);
        if (json)
          console.log(
            JSON.stringify({
              labelled: result.labelled,
              unchanged: result.unchanged,
              replaced: result.replaced,
              classesCreated: result.classesCreated,
              rejected: result.rejected,
            }),
          );
        else console.log(describeImport(result));
        // Some rows left out is normal (they are listed); nothing usable at all is a failure.
        return result.labelled + result.unchanged === 0 && result.rejected.length > 0 ? 1 : 0;
      },
    );
  },
};

function describeImport(r: LabelImportResult): string {
  const lines = [
    `${r.labelled} images got a person label (${r.replaced} replaced an earlier one), ${r.unchanged} already had it`,
    `new classes: ${r.classesCreated.length ? r.classesCreated.join(', ') : '(none)'}`,
  ];
  if (r.rejected.length) {
    lines.push(`${r.rejected.length} left out:`);
    for (const x of r.rejected.slice(0, SHOWN_REJECTIONS)) lines.push(`  ${x.line > 0 ? `line ${x.line}: ` : ''}${x.path}: ${x.reason}`);
    if (r.rejected.length > SHOWN_REJECTIONS) lines.push(`  ... and ${r.rejected.length - SHOWN_REJECTIONS} more (--json lists them all)`);
  }
  return lines.join('\n');
}

function listLabels(dir: string, json: boolean): number {
  const project = openExistingProject(dir, { readonly: 'auto' });
  try {
    const db = project.db;
    const rows = listClasses(db).map((name) => {
      const r = classLabelSummary(db, name);
      return { name, ...r };
    });
    const outliers = countOutlierMarks(db);
    if (json) console.log(JSON.stringify({ classes: rows, outliers }));
    else {
      console.log(
        formatTable(
          ['class', 'key', 'person labels', 'imported'],
          rows.map((r) => [r.name, r.hotkey ?? '', String(r.labels), String(r.imported)]),
        ),
      );
      console.log(`outliers marked by a person: ${outliers}`);
    }
    return 0;
  } finally {
    project.close();
  }
}
