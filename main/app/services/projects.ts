// projects.*: open, create and describe the one project a session works on.
import { existsSync, mkdirSync } from 'node:fs';
import type { ProjectsApi } from '../../../preload/contract/api.ts';
import type { ServiceContext } from './context.ts';
import { countImportErrors, importErrorPage } from '../../db/images-repo.ts';
import { requireFolder } from './folders.ts';
import type { PipelineControl } from './pipeline.ts';
import { projectSummary } from './summary.ts';

export function createProjectsService(ctx: ServiceContext, pipeline: PipelineControl): ProjectsApi {
  const { session } = ctx;
  return {
    async recent() {
      return session.recent.list();
    },

    async create({ dir, imageFolder, labelsFromFolders }) {
      if (imageFolder !== undefined) requireFolder(imageFolder, 'image folder');
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
      const project = session.open(dir, { create: true });
      const importJobId = imageFolder === undefined ? null : (await pipeline.startImport({ folder: imageFolder, labelsFromFolders })).jobId;
      const summary = projectSummary(session, project);
      session.push({ type: 'project', summary });
      return { project: summary, importJobId };
    },

    async open({ dir }) {
      const project = session.open(dir);
      const summary = projectSummary(session, project);
      session.push({ type: 'project', summary });
      return summary;
    },

    async current() {
      const project = session.project;
      return project ? projectSummary(session, project) : null;
    },

    async close() {
      session.close();
      session.push({ type: 'project', summary: null });
    },

    async importErrors(params) {
      const db = session.requireProject().db;
      const offset = params?.offset ?? 0;
      const limit = params?.limit ?? 200;
      return { total: countImportErrors(db), items: importErrorPage(db, limit, offset) };
    },
  };
}
