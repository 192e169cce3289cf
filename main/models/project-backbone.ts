// A backbone trained in this project (the pretrain stage, main/pipeline/pretrain/: MoCo v2), read back
// from the project database as a FeatureExtractor for the embedding stage. The pretrain stage stores the
// encoder (table `pretrain_encoders`) together with the backbone's row; this is where it is read, so the
// embedding stage runs it without depending on the stage that trained it.
import type { Db } from '../db/connection.ts';
import type { FeatureExtractor } from '../ml/feature-extractor.ts';
import type { EncoderSpec, PretrainConfig } from '../ml/moco/config.ts';
import { createEncoderExtractor } from '../ml/moco/encoder-extractor.ts';
import type { NamedArray } from '../ml/moco/moco.ts';
import { unpackArrays, type PackedLayout } from '../ml/moco/packed-arrays.ts';
import type { Project } from '../project/project.ts';
import type { BackboneRecord } from '../db/backbones-repo.ts';
import { getEncoderRow, getPretrainRunRow } from '../db/pretrain-repo.ts';

export async function createProjectExtractor(project: Project, backbone: BackboneRecord): Promise<FeatureExtractor> {
  const { spec, arrays } = loadProjectEncoder(project.db, backbone.location);
  if (backbone.layout !== 'NCHW') throw new Error(`project backbone ${backbone.name} must take NCHW input, its record says ${backbone.layout}`);
  if (backbone.outputDim !== spec.featureDim) throw new Error(`project backbone ${backbone.name} says ${backbone.outputDim}-d features, the stored encoder makes ${spec.featureDim}`);
  return createEncoderExtractor(spec, arrays, backbone.inputSize);
}

/** The trained encoder of backbone location 'project:<name>'. */
export function loadProjectEncoder(db: Db, location: string): { spec: EncoderSpec; arrays: NamedArray[] } {
  if (!location.startsWith('project:')) throw new Error(`'${location}' is not a project backbone (expected project:<name>)`);
  const runName = location.slice('project:'.length);
  const run = getPretrainRunRow(db, runName);
  if (!run) throw new Error(`this project has no pre-training named '${runName}'`);
  const row = getEncoderRow(db, run.id);
  if (!row || run.state !== 'done') {
    const epochs = (JSON.parse(run.config) as PretrainConfig).epochs;
    throw new Error(`pre-training '${runName}' has not finished (${run.epochsDone}/${epochs} epochs); run pretrain again to finish it`);
  }
  const m = JSON.parse(row.manifest) as { spec: EncoderSpec; arrays: PackedLayout };
  return { spec: m.spec, arrays: unpackArrays(m.arrays, row.data) };
}
