// backbones.*: what embedded this project, and what could.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AvailableBackbone, BackbonesApi } from '../../../preload/contract/api.ts';
import { listRegistryAvailability, modelSearchDirs } from '../../models/registry.ts';
import { readSidecar } from '../../models/sidecar.ts';
import { listBackbones } from '../../db/backbones-repo.ts';
import type { ServiceContext } from './context.ts';
import { backboneSummaries } from './summary.ts';
import { backbonesWithViews } from '../project-status.ts';

export function createBackbonesService(ctx: ServiceContext): BackbonesApi {
  return {
    async list() {
      return backboneSummaries(backbonesWithViews(ctx.session.requireProject().db));
    },

    async available() {
      const out: AvailableBackbone[] = [];
      const registryPaths = new Set<string>();
      // File names of registry weights found on this machine: another copy in a later folder is the same model.
      const registryFiles = new Set<string>();
      for (const { entry, path } of await listRegistryAvailability()) {
        if (path) {
          registryPaths.add(path);
          registryFiles.add(entry.file);
        }
        out.push({
          spec: entry.name,
          name: entry.name,
          origin: 'registry',
          description: entry.description,
          outputDim: entry.outputDim,
          recommendedSize: entry.smallImageInputSize ?? entry.nativeInputSize,
          license: entry.license,
          present: path !== null,
        });
      }
      // Any other ONNX file in the model folders (e.g. shared/models) can be used by its path.
      for (const dir of modelSearchDirs()) {
        if (!existsSync(dir)) continue;
        for (const file of readdirSync(dir)
          .filter((f) => f.toLowerCase().endsWith('.onnx'))
          .sort()) {
          const path = join(dir, file);
          if (registryPaths.has(path) || registryFiles.has(file)) continue;
          let sidecar = null;
          try {
            sidecar = readSidecar(path);
          } catch {
            // A malformed sidecar only costs the description; resolving the backbone reports it.
          }
          out.push({
            spec: path,
            name: basename(file, '.onnx'),
            origin: 'shared',
            description: `ONNX model ${path}`,
            outputDim: sidecar?.outputDim ?? null,
            recommendedSize: sidecar?.smallImageInputSize ?? sidecar?.nativeInputSize ?? null,
            license: sidecar?.license ?? null,
            present: true,
          });
        }
      }
      const project = ctx.session.project;
      if (project) {
        const own = listBackbones(project.db).filter((b) => b.source === 'project');
        for (const b of own) {
          out.push({
            spec: b.name.startsWith('project:') ? b.name : `project:${b.name}`,
            name: b.name,
            origin: 'project',
            description: 'backbone pre-trained on this project (MoCo)',
            outputDim: b.outputDim,
            recommendedSize: b.inputSize,
            license: b.license,
            present: true,
          });
        }
      }
      return out;
    },
  };
}
