// Public surface of MoCo pre-training for services, the bridge and the CLI.
export { pretrainProject, defaultRunName, type PretrainJobOptions, type PretrainSummary } from './pretrain-job.ts';
export { readLossCurve, listPretrainRuns, getPretrainRun, projectBackboneName, type LossCurve, type LossPoint, type PretrainRunRecord } from './store.ts';
export { PretrainConfigError, RESNET_BLOCKS, type PretrainConfig, type PretrainOptions, type ResNetArch } from './config.ts';
export { createProjectExtractor } from './extractor.ts';
