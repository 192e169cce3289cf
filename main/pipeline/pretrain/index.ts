// The pretrain stage (MoCo v2 on the project's own images): what services, the bridge and the CLI use.
// The network itself is main/ml/moco/; the trained backbone is read back by main/models/project-backbone.ts.
export { pretrainProject, defaultRunName, type PretrainJobOptions, type PretrainSummary } from './pretrain-job.ts';
export { readLossCurve, listPretrainRuns, getPretrainRun, projectBackboneName, type LossCurve, type LossPoint, type PretrainRunRecord } from './pretrain-records.ts';
export { PretrainConfigError, RESNET_BLOCKS, type PretrainConfig, type PretrainOptions, type ResNetArch } from '../../ml/moco/config.ts';
