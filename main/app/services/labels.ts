// labels.*: the project's class list (with undo), accepting what the model shows, importing the labels a
// person already has, and what a refine would learn from.
import type { ClassListChange, ClassSnapshot, ClassSummary, LabelImportReport, LabelsApi, LabelStats } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { classRows } from '../../db/classes-repo.ts';
import { clusterNameClassCounts, countClassLabels, personLabelClassCounts } from '../../db/labels-repo.ts';
import { finalClassCounts } from '../../db/run-labels-repo.ts';
import { getRun } from '../../db/runs-repo.ts';
import { acceptImages, acceptRestOfCluster } from '../../pipeline/label/accept.ts';
import { createClass, deleteClass, mergeClasses, renameClass, restoreClassSnapshot, setClassHotkey, type ClassSnapshot as StageSnapshot } from '../../project/classes.ts';
import { importLabelsFromCsv, importLabelsFromFolder, type LabelImportResult } from '../../pipeline/label/label-import.ts';
import { refineClasses } from '../../pipeline/label/refine-job.ts';
import { requireRun } from './clusters.ts';
import type { ServiceContext } from './context.ts';
import { toCorrectionChange } from './corrections.ts';
import { ApiError } from './api-errors.ts';
import { requireFolder } from './folders.ts';

export function createLabelsService(ctx: ServiceContext): LabelsApi {
  const { session } = ctx;
  const db = () => session.requireProject().db;

  /** Runs a class-list change, announces it, and hands back what it replaced. */
  const classChange = (change: (db: Db) => StageSnapshot): ClassListChange => {
    const previous = change(db());
    session.changed(['classes', 'mapping', 'corrections']);
    return { previous };
  };

  const importReport = (r: LabelImportResult): LabelImportReport => {
    session.changed(['classes', 'corrections']);
    return {
      labelled: r.labelled,
      unchanged: r.unchanged,
      replaced: r.replaced,
      classesCreated: r.classesCreated,
      rejected: r.rejected,
      change: toCorrectionChange(r.changes),
    };
  };

  return {
    async classes(params): Promise<ClassSummary[]> {
      return classSummaries(db(), params?.runId ?? null);
    },
    async createClass({ name }) {
      return classChange((d) => createClass(d, name));
    },
    async renameClass({ from, to }) {
      return classChange((d) => renameClass(d, from, to));
    },
    async mergeClasses({ from, into }) {
      return classChange((d) => mergeClasses(d, from, into));
    },
    async deleteClass({ name }) {
      return classChange((d) => deleteClass(d, name));
    },
    async setHotkey({ name, hotkey }) {
      return classChange((d) => setClassHotkey(d, name, hotkey));
    },
    async restoreClasses({ snapshot }) {
      return classChange((d) => restoreClassSnapshot(d, snapshot as ClassSnapshot));
    },

    async accept({ runId, imageIds }) {
      requireRun(db(), runId);
      const change = toCorrectionChange(acceptImages(db(), runId, imageIds));
      session.changed(['corrections']);
      return change;
    },
    async acceptRest({ runId, cluster }) {
      const run = requireRun(db(), runId);
      if (cluster >= run.k) throw new ApiError('invalid-argument', `cluster ${cluster} is outside 0..${run.k - 1} of run ${runId}`);
      const change = toCorrectionChange(acceptRestOfCluster(db(), runId, cluster));
      session.changed(['corrections']);
      return change;
    },

    async import(params) {
      const project = session.requireProject();
      if ((params.csvFile === undefined) === (params.folder === undefined)) throw new ApiError('invalid-argument', 'give exactly one of csvFile or folder');
      if (params.folder !== undefined) {
        requireFolder(params.folder, 'labelled folder');
        return importReport(await importLabelsFromFolder(project, params.folder));
      }
      return importReport(await importLabelsFromCsv(project, params.csvFile!));
    },

    async stats({ runId }): Promise<LabelStats> {
      const d = db();
      const run = requireRun(d, runId);
      return {
        runId,
        personLabels: countClassLabels(d),
        newSinceRun: countClassLabels(d, run.createdAt),
        refineClasses: run.state === 'done' && run.method !== 'spice-self' ? refineClasses(d, getRun(d, runId)!).outputs : [],
      };
    },
  };
}

function classSummaries(db: Db, runId: number | null): ClassSummary[] {
  const clusters = new Map(clusterNameClassCounts(db, runId));
  const person = new Map(personLabelClassCounts(db));
  const images = new Map(finalClassCounts(db, runId));
  const rows = classRows(db);
  return rows.map((r) => ({
    name: r.name,
    hotkey: r.hotkey,
    clusters: clusters.get(r.name) ?? 0,
    personLabels: person.get(r.name) ?? 0,
    images: images.get(r.name) ?? 0,
  }));
}
