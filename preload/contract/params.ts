// The params of every method of the contract, as valibot schemas: the one source of both their
// validation (main/app/validate.ts runs them on whatever a transport receives) and their types (api.ts
// takes them from here; the renderer reuses the schemas where it checks a field itself).
import * as v from 'valibot';
import { absolutePath, array, bool, int, maybe, MAX_IDS, MAX_PATH, none, num, object, oneOf, str, type Range } from './checks.ts';
import { ClassNameSchema } from './class-name.ts';

/** Limits the renderer shows next to its fields. */
export const LIMITS = {
  k: { min: 2, max: 1000 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  size: { min: 32, max: 1024 },
  views: { min: 0, max: 64 },
  fixedViews: { min: 0, max: 4 },
  epochs: { min: 1, max: 10_000 },
  heads: { min: 1, max: 64 },
  batchSize: { min: 8, max: 65_536 },
  semiEpochs: { min: 0, max: 10_000 },
} as const satisfies Record<string, Range>;

const id = () => int({ min: 1 });
const runId = id;
const imageIds = () => array(id(), { min: 1, max: MAX_IDS });
const clusterIndex = () => int({ min: 0, max: 100_000 });
const className = () => ClassNameSchema;
const hotkey = () => v.nullable(str({ min: 1, max: 1 }));
const backboneSpec = () => str({ min: 1, max: MAX_PATH });

export const KSchema = int(LIMITS.k);
export const SeedSchema = int(LIMITS.seed);
export const SizeSchema = int(LIMITS.size);

export const ViewCountsSchema = object({
  /** Augmented weak views per image (random resized crop + flip). */
  weak: int(LIMITS.views),
  /** Augmented strong views per image (weak + RandAugment-style ops + cutout). */
  strong: int(LIMITS.views),
  /**
   * Deterministic views per image, 0..4, taken in this order: greyscale, mirror (left-right), centre
   * zoom (the central 75 %), greyscale zoom. Omitted = 0.
   */
  fixed: v.optional(int(LIMITS.fixedViews)),
});

/** Overrides of SPICE's defaults (docs: SPICE.md); anything left out keeps the default. */
export const SpiceSettingsSchema = object({
  /** A small, fast configuration for trying things out (fewer epochs and heads). */
  quick: v.optional(bool()),
  /** SPICE-Self training epochs. */
  epochs: v.optional(int(LIMITS.epochs)),
  /** Clustering heads trained side by side (their consensus, numbered as the lowest-loss head, is kept). */
  heads: v.optional(int(LIMITS.heads)),
  batchSize: v.optional(int(LIMITS.batchSize)),
  /** SPICE-Semi epochs; 0 (the default) skips SPICE-Semi. */
  semiEpochs: v.optional(int(LIMITS.semiEpochs)),
});

/** How a person label came about: moved or marked in the app, accepted as shown, or imported. */
export const LabelOriginSchema = oneOf('set', 'accepted', 'imported');

export const ClusterNameEntrySchema = object({ cluster: clusterIndex(), className: v.nullable(className()) });

/** The person label of one image. className null and outlier false = none (the model's label applies). */
export const CorrectionEntrySchema = object({
  imageId: id(),
  className: v.nullable(className()),
  outlier: bool(),
  /** How it came about; omitted = 'set'. Ignored when there is no label. */
  origin: v.optional(LabelOriginSchema),
});

export const MappingProposalSchema = object({
  runId: runId(),
  /**
   * 'few-shot': from the person labels that are fair evidence of what a cluster holds (imported or
   * accepted; images moved out of a cluster are not); 'ground-truth': from folder labels (evaluation).
   */
  from: oneOf('few-shot', 'ground-truth'),
  /** support: the share of the evidence behind this name, 0..1. */
  entries: array(object({ cluster: clusterIndex(), className: v.nullable(className()), support: num({ min: 0, max: 1 }) }), { max: 1000 }),
  /** How many labelled images the proposal rests on. */
  evidence: int({ min: 0 }),
});

/** The rows a class-list change touched, as they were; labels.restoreClasses puts them back. */
export const ClassSnapshotSchema = object({
  /** Every class the change involved; exists false = it did not exist. */
  classes: array(object({ name: className(), exists: bool(), hotkey: hotkey() }), { max: 1000 }),
  /** Person labels naming one of those classes. */
  personLabels: array(object({ imageId: id(), className: className(), origin: LabelOriginSchema }), { max: MAX_IDS }),
  /** Cluster names (of any run) naming one of those classes. */
  clusterNames: array(object({ runId: runId(), cluster: clusterIndex(), className: className() }), { max: MAX_IDS }),
});

const CreateProjectSchema = object({
  /** Absolute folder for the project (created if missing; must not already hold a project). */
  dir: absolutePath(),
  /** Absolute folder of images to import; the import starts as a job right away. */
  imageFolder: v.optional(absolutePath()),
  /** Use each image's parent folder name as its ground-truth label (evaluation only). */
  labelsFromFolders: v.optional(bool()),
});

const StartImportSchema = object({
  /** Absolute folder; defaults to the project's image root. */
  folder: v.optional(absolutePath()),
  labelsFromFolders: v.optional(bool()),
});

const StartEmbedSchema = object({
  /** Registry name, absolute path to an .onnx file, or project:<name>. */
  backbone: backboneSpec(),
  /** Input size in pixels (multiple of 32); default from the backbone. */
  size: v.optional(SizeSchema),
  /** Augmented and fixed views to add to the bank; omitted = plain view only. */
  views: v.optional(ViewCountsSchema),
});

const StartClusterSchema = object({
  method: oneOf('kmeans', 'spice'),
  /** SPICE only. */
  spice: v.optional(SpiceSettingsSchema),
  k: KSchema,
  seed: v.optional(SeedSchema),
  /** Backbone name with embeddings; default: the backbone with the most plain embeddings. */
  backbone: v.optional(backboneSpec()),
});

const StartAllSchema = object({
  /** Absolute image folder to import first; default: the project's image root (skipped if none). */
  imageFolder: v.optional(absolutePath()),
  labelsFromFolders: v.optional(bool()),
  backbone: v.optional(backboneSpec()),
  size: v.optional(SizeSchema),
  /** The view bank; omitted = the default bank (2 weak, 2 strong, 4 fixed). */
  views: v.optional(ViewCountsSchema),
  k: KSchema,
  seed: v.optional(SeedSchema),
  spice: v.optional(SpiceSettingsSchema),
});

const StartRefineSchema = object({
  /** The run to start from (its heads, classes and reliable samples); default: the project's default run. */
  runId: v.optional(runId()),
  seed: v.optional(SeedSchema),
});

const ClusterImagesSchema = v.pipe(
  object({
    runId: runId(),
    /** Exactly one of cluster, className, outliers or imageIds selects the images. */
    cluster: v.optional(clusterIndex()),
    /** Images whose final label (person label, else the model's) is this class. */
    className: v.optional(className()),
    /** Images marked as outliers. */
    outliers: v.optional(bool()),
    /** These images (a lasso on the map, a pasted list), in the run's rows; unknown ids are left out. */
    imageIds: v.optional(array(id(), { min: 1, max: 10_000 })),
    /** Leave out images a person has already labelled. */
    hideReviewed: v.optional(bool()),
    /** 'confidence': most confident first; 'doubt': most doubtful first. */
    sort: oneOf('confidence', 'doubt'),
    offset: int({ min: 0 }),
    limit: int({ min: 1, max: 2000 }),
  }),
  v.check(
    (p) => [p.cluster !== undefined, p.className !== undefined, p.outliers === true, p.imageIds !== undefined].filter(Boolean).length === 1,
    'give exactly one of cluster, className, imageIds or outliers: true',
  ),
);

const ReviewQueueSchema = object({
  runId: runId(),
  offset: int({ min: 0 }),
  limit: int({ min: 1, max: 2000 }),
  /** Leave out images a person has labelled (default true). */
  hideReviewed: v.optional(bool()),
});

const LabelImportSchema = object({
  /** Absolute path of a CSV file with a header `path,class` (paths relative to the image folder, or absolute). */
  csvFile: v.optional(absolutePath()),
  /** Absolute path of a folder with one sub-folder of images per class; files are matched by content. */
  folder: v.optional(absolutePath()),
});

/** The params schema of every method, by method name (validate.ts checks it covers the contract). */
export const PARAM_SCHEMAS = {
  'app.info': none(),
  'app.chooseFolder': maybe(object({ title: v.optional(str({ max: 200 })), defaultPath: v.optional(absolutePath()) })),

  'projects.recent': none(),
  'projects.create': CreateProjectSchema,
  'projects.open': object({ dir: absolutePath() }),
  'projects.current': none(),
  'projects.close': none(),
  'projects.importErrors': maybe(object({ offset: v.optional(int({ min: 0 })), limit: v.optional(int({ min: 1, max: 10_000 })) })),

  'pipeline.startImport': maybe(StartImportSchema),
  'pipeline.startEmbed': StartEmbedSchema,
  'pipeline.startCluster': StartClusterSchema,
  'pipeline.startAll': StartAllSchema,
  'pipeline.startRefine': maybe(StartRefineSchema),
  'pipeline.cancel': object({ jobId: id() }),
  'pipeline.jobs': maybe(object({ limit: v.optional(int({ min: 1, max: 1000 })) })),

  'backbones.list': none(),
  'backbones.available': none(),

  'runs.list': none(),
  'runs.metrics': object({ runId: runId() }),

  'clusters.overview': object({ runId: runId(), samples: v.optional(int({ min: 0, max: 64 })) }),
  'clusters.images': ClusterImagesSchema,

  'image.detail': object({ imageId: id(), runId: runId(), neighbours: v.optional(int({ min: 0, max: 200 })) }),

  'mapping.get': object({ runId: runId() }),
  'mapping.setClusterName': object({ runId: runId(), cluster: clusterIndex(), className: v.nullable(className()) }),
  'mapping.setMany': object({ runId: runId(), clusters: array(clusterIndex(), { min: 1, max: 1000 }), className: v.nullable(className()) }),
  'mapping.propose': object({ runId: runId(), from: oneOf('few-shot', 'ground-truth') }),
  'mapping.accept': object({ runId: runId(), proposal: MappingProposalSchema }),
  'mapping.restore': object({ runId: runId(), entries: array(ClusterNameEntrySchema, { max: 1000 }) }),

  'corrections.move': object({ imageIds: imageIds(), className: className() }),
  'corrections.markOutlier': object({ imageIds: imageIds() }),
  'corrections.clear': object({ imageIds: imageIds() }),
  'corrections.restore': object({ entries: array(CorrectionEntrySchema, { max: MAX_IDS }) }),

  'labels.classes': maybe(object({ runId: v.optional(runId()) })),
  'labels.createClass': object({ name: className() }),
  'labels.renameClass': object({ from: className(), to: className() }),
  'labels.mergeClasses': object({ from: array(className(), { min: 1, max: 1000 }), into: className() }),
  'labels.deleteClass': object({ name: className() }),
  'labels.setHotkey': object({ name: className(), hotkey: hotkey() }),
  'labels.restoreClasses': object({ snapshot: ClassSnapshotSchema }),
  'labels.accept': object({ runId: runId(), imageIds: imageIds() }),
  'labels.acceptRest': object({ runId: runId(), cluster: clusterIndex() }),
  'labels.import': LabelImportSchema,
  'labels.stats': object({ runId: runId() }),

  'review.queue': ReviewQueueSchema,
  'review.similar': object({ runId: runId(), imageIds: imageIds(), limit: int({ min: 1, max: 2000 }), hideReviewed: v.optional(bool()) }),

  'export.labels': object({ runId: runId(), format: oneOf('csv', 'json') }),
  'export.folders': object({ runId: runId(), mode: oneOf('copy', 'link') }),

  'map.projection': object({ runId: runId() }),
};

/** The validated params of each method (undefined for methods without params). */
export type Params = { [M in keyof typeof PARAM_SCHEMAS]: v.InferOutput<(typeof PARAM_SCHEMAS)[M]> };

export type ViewCounts = v.InferOutput<typeof ViewCountsSchema>;
export type SpiceSettings = v.InferOutput<typeof SpiceSettingsSchema>;
export type LabelOrigin = v.InferOutput<typeof LabelOriginSchema>;
export type ClusterNameEntry = v.InferOutput<typeof ClusterNameEntrySchema>;
export type CorrectionEntry = v.InferOutput<typeof CorrectionEntrySchema>;
export type MappingProposal = v.InferOutput<typeof MappingProposalSchema>;
export type ClassSnapshot = v.InferOutput<typeof ClassSnapshotSchema>;
export type CreateProjectParams = v.InferOutput<typeof CreateProjectSchema>;
export type StartImportParams = v.InferOutput<typeof StartImportSchema>;
export type StartEmbedParams = v.InferOutput<typeof StartEmbedSchema>;
export type StartClusterParams = v.InferOutput<typeof StartClusterSchema>;
export type StartAllParams = v.InferOutput<typeof StartAllSchema>;
export type StartRefineParams = v.InferOutput<typeof StartRefineSchema>;
export type ClusterImagesParams = v.InferOutput<typeof ClusterImagesSchema>;
export type ReviewQueueParams = v.InferOutput<typeof ReviewQueueSchema>;
export type LabelImportParams = v.InferOutput<typeof LabelImportSchema>;
