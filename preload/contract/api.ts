// The ONE service contract shared by main, preload and renderer. Pure types: no Node, no DOM, no Electron.
//
// Every method takes at most one argument, a plain JSON object (or nothing), and resolves to JSON.
// Electron IPC and the WebSocket bridge carry it identically as { method: 'area.name', params };
// see wire.ts for the envelopes and the image URLs. A failed call rejects with an ApiError.
//
// The params of each method come from their schemas in params.ts (validation and types in one).
import type { JobEvent, JobKind, JobRecord, JobState } from './jobs.ts';
import type {
  ClassSnapshot,
  ClusterImagesParams,
  ClusterNameEntry,
  CorrectionEntry,
  CreateProjectParams,
  LabelImportParams,
  LabelOrigin,
  MappingProposal,
  Params,
  ReviewQueueParams,
  StartAllParams,
  StartClusterParams,
  StartEmbedParams,
  StartImportParams,
  StartRefineParams,
} from './params.ts';

export type { JobEvent, JobKind, JobRecord, JobState };
export type * from './params.ts';

// ---------------------------------------------------------------- errors

export type ApiErrorCode =
  | 'invalid-argument' // params failed validation (type, range, unknown key)
  | 'unknown-method'
  | 'no-project' // the call needs an open project and none is open
  | 'not-found' // a run, image, job, backbone, folder... that does not exist
  | 'conflict' // e.g. a job of the same kind is already running
  | 'not-available' // a feature this build or transport does not offer (yet)
  | 'unauthorized'
  | 'disconnected' // the browser lost its connection to the bridge: the call was not sent, or its outcome is unknown
  | 'internal';

/** What a failed call carries over either transport. */
export interface ApiErrorShape {
  code: ApiErrorCode;
  message: string;
}

// ---------------------------------------------------------------- app

export type PlatformMode = 'electron' | 'browser';

export interface AppInfo {
  name: string;
  version: string;
  platform: PlatformMode;
  /** process.platform of the main process, e.g. 'linux', 'darwin', 'win32'. */
  os: string;
  nodeVersion: string;
  electronVersion: string | null;
  /** ONNX Runtime execution provider embeddings run on, e.g. 'cpu', 'cuda'; null before the first use. */
  onnxExecutionProvider: string | null;
  /** TensorFlow.js backend used for SPICE training; null when none is loaded yet. */
  tfBackend: { name: string; description: string; gpu: boolean } | null;
  /** Whether app.chooseFolder() opens a native dialog (Electron) — in a browser the user types a path. */
  canChooseFolders: boolean;
  /** Folder of the open project, if any. */
  projectDir: string | null;
}

export interface AppApi {
  info(): Promise<AppInfo>;
  /** Native folder picker (Electron only; 'not-available' in a browser). dir is null when cancelled. */
  chooseFolder(params?: Params['app.chooseFolder']): Promise<{ dir: string | null }>;
}

// ---------------------------------------------------------------- projects

export interface RecentProject {
  dir: string;
  /** Folder name, for display. */
  name: string;
  openedAt: number;
  /** False when the folder or its project.sqlite has gone. */
  exists: boolean;
}

export interface EmbeddingCount {
  view: string; // 'plain', 'weak/0', ..., 'strong/3'
  count: number;
}

export interface BackboneSummary {
  id: number;
  name: string;
  source: 'registry' | 'file' | 'project';
  inputSize: number;
  outputDim: number;
  license: string | null;
  /** Stored embeddings per view, plain first. */
  views: EmbeddingCount[];
}

/** 'refine': SPICE-Semi trained on the person's labels, starting from an earlier run (labels.* below). */
export type RunMethod = 'kmeans' | 'spice-self' | 'spice' | 'refine';
/** 'interrupted': the process running it died (found so on the next open). */
export type RunState = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface ClusteringScores {
  acc: number;
  nmi: number;
  ari: number;
}

export interface RunSummary {
  id: number;
  method: RunMethod;
  backboneId: number;
  backboneName: string;
  k: number;
  seed: number;
  state: RunState;
  createdAt: number;
  finishedAt: number | null;
  /** Images with an assignment in this run. */
  imageCount: number;
  /** Clusters that have a class name. */
  namedClusters: number;
  /** ACC/NMI/ARI against ground-truth labels when the images have them, else null. */
  scores: ClusteringScores | null;
  /** Seconds per stage. */
  timings: Record<string, number> | null;
  params: Record<string, unknown>;
  /** The earlier run whose cluster names were carried over to this one (matched by shared members). */
  namesFrom: number | null;
}

export interface ProjectSummary {
  dir: string;
  name: string;
  /** Folder the images were imported from (display only). */
  imageRoot: string | null;
  imageCount: number;
  /** Images carrying a ground-truth label (folder name); 0 means no evaluation. */
  labelledCount: number;
  duplicates: number;
  /** Files that could not be imported (not counting duplicates). */
  errors: number;
  backbones: BackboneSummary[];
  runs: RunSummary[];
  /**
   * The run the UI shows first, chosen without ground truth: the newest run trained on the person's
   * labels, else the newest SPICE run unless its report says it did not learn (then its k-means run).
   */
  defaultRunId: number | null;
  /** Why that run, in plain words; null when there was nothing to weigh. */
  defaultRunReason: string | null;
  classes: string[];
  /** Images a person labelled (moved, accepted, imported or marked as outlier). */
  personLabelCount: number;
  runningJobs: JobRecord[];
}

export interface ImportErrorRow {
  relPath: string;
  reason: string;
  detail: string | null;
  duplicateOf: number | null;
}

export interface ProjectsApi {
  recent(): Promise<RecentProject[]>;
  create(params: CreateProjectParams): Promise<{ project: ProjectSummary; importJobId: number | null }>;
  open(params: Params['projects.open']): Promise<ProjectSummary>;
  /** The open project, or null. */
  current(): Promise<ProjectSummary | null>;
  close(): Promise<void>;
  /** Files that were not imported, with the reason. */
  importErrors(params?: Params['projects.importErrors']): Promise<{ total: number; items: ImportErrorRow[] }>;
}

// ---------------------------------------------------------------- pipeline (jobs)

export interface StartedJob {
  jobId: number;
}

export interface PipelineApi {
  startImport(params?: StartImportParams): Promise<StartedJob>;
  /** A 'refine' run learning from the person's labels (a 'cluster' job). */
  startRefine(params?: StartRefineParams): Promise<StartedJob>;
  startEmbed(params: StartEmbedParams): Promise<StartedJob>;
  startCluster(params: StartClusterParams): Promise<StartedJob>;
  /** import -> embed plain + bank -> k-means -> SPICE -> evaluation, as one 'pipeline' job. */
  startAll(params: StartAllParams): Promise<StartedJob>;
  cancel(params: Params['pipeline.cancel']): Promise<{ cancelled: boolean }>;
  /** Recent jobs, newest first (running ones included). */
  jobs(params?: Params['pipeline.jobs']): Promise<JobRecord[]>;
}

// ---------------------------------------------------------------- backbones

export interface AvailableBackbone {
  /** What to pass as `backbone` to startEmbed. */
  spec: string;
  name: string;
  origin: 'registry' | 'shared' | 'project';
  description: string;
  outputDim: number | null;
  recommendedSize: number | null;
  license: string | null;
  /** Weights are on this machine (no download needed). */
  present: boolean;
}

export interface BackbonesApi {
  /** Backbones of the open project, with embedding counts per view. */
  list(): Promise<BackboneSummary[]>;
  /** Backbones that could be used: registry entries and models found on this machine. */
  available(): Promise<AvailableBackbone[]>;
}

// ---------------------------------------------------------------- runs

export interface ClusterQuality {
  cluster: number;
  size: number;
  /** Share of the cluster's images carrying its majority ground-truth label. */
  purity: number;
  majorityLabel: string | null;
}

export interface RunMetrics {
  runId: number;
  /** False when the images carry no ground-truth labels: scores and confusion are then null/empty. */
  hasGroundTruth: boolean;
  scores: ClusteringScores | null;
  /** Scores of the final labels (mapping + corrections) against ground truth, when a mapping exists. */
  finalScores: { accuracy: number; labelled: number } | null;
  /** Ground-truth label names: the columns of `confusion`. */
  labels: string[];
  /** confusion[cluster][labelIndex] = image count. */
  confusion: number[][];
  clusters: ClusterQuality[];
  report: Record<string, unknown> | null;
}

export interface RunsApi {
  list(): Promise<RunSummary[]>;
  metrics(params: Params['runs.metrics']): Promise<RunMetrics>;
}

// ---------------------------------------------------------------- clusters

export interface ClusterCard {
  cluster: number;
  size: number;
  meanConfidence: number;
  /** Share of the cluster's images judged reliable by SPICE (0 for k-means). */
  reliableShare: number;
  className: string | null;
  /** The most confident images of the cluster, for a preview strip. */
  sampleImageIds: number[];
  /** Unnamed, in a run whose other names were carried over from an earlier run: a cluster to look at. */
  isNew: boolean;
  /** Images of the cluster a person has labelled (any origin, outliers included). */
  reviewed: number;
}

export interface ClusterOverview {
  runId: number;
  method: RunMethod;
  k: number;
  total: number;
  cards: ClusterCard[];
}

export type ImageSort = 'confidence' | 'doubt';

/** Where an image's final label comes from. */
export type LabelSource = 'person' | 'model';

export interface ImageRow {
  imageId: number;
  cluster: number;
  confidence: number;
  doubt: number;
  /** SPICE judged it a reliable sample. */
  reliable: boolean;
  /** ...but only after its cluster's thresholds were relaxed (shown apart from truly reliable ones). */
  relaxed: boolean;
  /** Final label: the person's label, else the model's (the cluster's class name); null when neither. */
  className: string | null;
  /** The model's label: the cluster's class name, null when the cluster is unnamed. */
  predicted: string | null;
  source: LabelSource;
  /** How the person label came about; null when the label is the model's. */
  origin: LabelOrigin | null;
  /** A person gave this image a class other than the model's (moved, or imported against it). */
  corrected: boolean;
  outlier: boolean;
}

export interface ImagePage {
  total: number;
  offset: number;
  items: ImageRow[];
}

export interface ClustersApi {
  overview(params: Params['clusters.overview']): Promise<ClusterOverview>;
  images(params: ClusterImagesParams): Promise<ImagePage>;
}

// ---------------------------------------------------------------- review

export interface ReviewPage extends ImagePage {
  /** Images still without a person label in the run. */
  unreviewed: number;
}

export interface ReviewApi {
  /**
   * Every image of the run across all clusters in the suggested order: most doubtful first, ahead of them
   * the images most informative for refine (classes with few person labels, unnamed clusters).
   */
  queue(params: ReviewQueueParams): Promise<ReviewPage>;
  /** Nearest neighbours of a selection (by the mean of its embeddings), as grid rows; the selection left out. */
  similar(params: Params['review.similar']): Promise<ImagePage>;
}

// ---------------------------------------------------------------- image

export interface Neighbour {
  imageId: number;
  similarity: number;
  cluster: number | null;
  className: string | null;
}

export interface ImageDetail {
  imageId: number;
  /** Relative path under the image root — display only, never used to fetch. */
  relPath: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  /** Ground-truth label, if imported with labels. */
  label: string | null;
  /** Per-cluster probabilities in this run (length k). */
  probs: number[];
  cluster: number | null;
  confidence: number | null;
  doubt: number | null;
  reliable: boolean;
  className: string | null;
  corrected: boolean;
  outlier: boolean;
  /** Nearest images by cosine similarity of the run backbone's plain embeddings. */
  neighbours: Neighbour[];
}

export interface ImageApi {
  detail(params: Params['image.detail']): Promise<ImageDetail>;
}

// ---------------------------------------------------------------- mapping

export interface ClusterMapping {
  runId: number;
  k: number;
  /** One entry per cluster 0..k-1. */
  clusters: ClusterNameEntry[];
}

/** Every mutating mapping call returns the entries as they were, for undo via mapping.restore. */
export interface MappingChange {
  runId: number;
  previous: ClusterNameEntry[];
}

export interface ClassSummary {
  name: string;
  /** Key that moves the selection to this class in the grid; null = none assigned. */
  hotkey: string | null;
  /** Clusters of the given run named so (0 without runId). */
  clusters: number;
  /** Images a person labelled with this class. */
  personLabels: number;
  /** Images whose final label in the given run is this class (0 without runId). */
  images: number;
}

export interface MappingApi {
  get(params: Params['mapping.get']): Promise<ClusterMapping>;
  setClusterName(params: Params['mapping.setClusterName']): Promise<MappingChange>;
  setMany(params: Params['mapping.setMany']): Promise<MappingChange>;
  propose(params: Params['mapping.propose']): Promise<MappingProposal>;
  accept(params: Params['mapping.accept']): Promise<MappingChange>;
  /** Puts entries back exactly (undo/redo); returns the entries it replaced. */
  restore(params: Params['mapping.restore']): Promise<MappingChange>;
}

// ---------------------------------------------------------------- corrections

/** Every mutating correction call returns the states it replaced, for undo via corrections.restore. */
export interface CorrectionChange {
  previous: CorrectionEntry[];
}

export interface CorrectionsApi {
  /** Gives the images a person label (the class is created if new). */
  move(params: Params['corrections.move']): Promise<CorrectionChange>;
  markOutlier(params: Params['corrections.markOutlier']): Promise<CorrectionChange>;
  /** Removes corrections: the images follow their cluster's name again. */
  clear(params: Params['corrections.clear']): Promise<CorrectionChange>;
  restore(params: Params['corrections.restore']): Promise<CorrectionChange>;
}

// ---------------------------------------------------------------- labels (classes, accepting, importing)

/** Every class-list change returns what it replaced, for undo (and the same again for redo). */
export interface ClassListChange {
  previous: ClassSnapshot;
}

export interface LabelImportRow {
  /** 1-based line of the CSV, or 0 for a file of a labelled folder. */
  line: number;
  path: string;
  reason: string;
}

export interface LabelImportReport {
  /** Images that got a person label from the import. */
  labelled: number;
  /** Images that already carried the same person label. */
  unchanged: number;
  /** Images whose earlier person label the import replaced. */
  replaced: number;
  classesCreated: string[];
  /** Rows or files left out, each with its reason; nothing else is lost. */
  rejected: LabelImportRow[];
  /** For undo through corrections.restore. */
  change: CorrectionChange;
}

export interface LabelStats {
  runId: number;
  /** Person labels with a class (outliers not counted). */
  personLabels: number;
  /** Of those, set since the run's model was trained: what a refine would newly learn from. */
  newSinceRun: number;
  /** The classes a refine of this run would predict, in output order (unnamed clusters as null). */
  refineClasses: Array<string | null>;
}

export interface LabelsApi {
  classes(params?: Params['labels.classes']): Promise<ClassSummary[]>;
  createClass(params: Params['labels.createClass']): Promise<ClassListChange>;
  renameClass(params: Params['labels.renameClass']): Promise<ClassListChange>;
  /** Moves every label and cluster name of `from` to `into`, then deletes `from`. */
  mergeClasses(params: Params['labels.mergeClasses']): Promise<ClassListChange>;
  /** Deletes a class: its person-labelled images go back to the model's label, its clusters become unnamed. */
  deleteClass(params: Params['labels.deleteClass']): Promise<ClassListChange>;
  /** One printable key per class (not a digit-only limit: any letter, digit or symbol not used by the grid). */
  setHotkey(params: Params['labels.setHotkey']): Promise<ClassListChange>;
  restoreClasses(params: Params['labels.restoreClasses']): Promise<ClassListChange>;
  /** The person confirms the label these images show (model's label becomes a person label, origin 'accepted'). */
  accept(params: Params['labels.accept']): Promise<CorrectionChange>;
  /** Accepts every image of a named cluster that has no person label yet: one action for the rest of a cluster. */
  acceptRest(params: Params['labels.acceptRest']): Promise<CorrectionChange>;
  /** Person labels from a CSV file or a labelled folder (used for training, unlike folder ground truth). */
  import(params: LabelImportParams): Promise<LabelImportReport>;
  stats(params: Params['labels.stats']): Promise<LabelStats>;
}

// ---------------------------------------------------------------- export

export interface LabelsExport {
  fileName: string;
  mime: string;
  content: string;
  rows: number;
}

export interface FoldersExport {
  /** Absolute folder written (display only). */
  dir: string;
  files: number;
  /** Class folders written. */
  classes: number;
  /** Every top-level folder written: the classes, `outlier` and `unassigned` where present. */
  folders: string[];
  skipped: number;
  mode: 'copy' | 'link';
}

export interface ExportApi {
  /** CSV columns `path,class,cluster,confidence,source`; an outlier's class is `outlier`. */
  labels(params: Params['export.labels']): Promise<LabelsExport>;
  /**
   * One folder per class. Browser: <project>/exports/<timestamp>/. Electron: main first asks for the
   * folder with a dialog; resolves null when the dialog is cancelled.
   */
  folders(params: Params['export.folders']): Promise<FoldersExport | null>;
}

// ---------------------------------------------------------------- map

export interface MapPoint {
  imageId: number;
  x: number;
  y: number;
  cluster: number;
}

export interface Projection {
  runId: number;
  backboneId: number;
  /** Coordinates are normalised to 0..1 on both axes. */
  points: MapPoint[];
  /** True when served from the cache. */
  cached: boolean;
}

export interface MapApi {
  /** 2-D UMAP of the run backbone's plain embeddings; computed once per backbone, then cached. */
  projection(params: Params['map.projection']): Promise<Projection>;
}

// ---------------------------------------------------------------- the whole contract

export interface ServiceApi {
  app: AppApi;
  projects: ProjectsApi;
  pipeline: PipelineApi;
  backbones: BackbonesApi;
  runs: RunsApi;
  clusters: ClustersApi;
  image: ImageApi;
  mapping: MappingApi;
  corrections: CorrectionsApi;
  labels: LabelsApi;
  review: ReviewApi;
  export: ExportApi;
  map: MapApi;
}

export type ApiArea = keyof ServiceApi;

type MethodsOf<A extends ApiArea> = {
  [M in keyof ServiceApi[A] & string]: ServiceApi[A][M] extends (...args: never[]) => unknown ? `${A}.${M}` : never;
}[keyof ServiceApi[A] & string];

/** 'projects.open', 'clusters.images', ... */
export type MethodName = { [A in ApiArea]: MethodsOf<A> }[ApiArea];

type SplitMethod<M extends MethodName> = M extends `${infer A}.${infer F}`
  ? A extends ApiArea
    ? F extends keyof ServiceApi[A]
      ? ServiceApi[A][F]
      : never
    : never
  : never;

/** The params object of a method (undefined for methods without params). */
export type ParamsOf<M extends MethodName> = SplitMethod<M> extends (...args: infer P) => unknown ? (P extends [] ? undefined : P[0]) : never;

/** What a method resolves to. */
export type ResultOf<M extends MethodName> = SplitMethod<M> extends (...args: never[]) => Promise<infer R> ? R : never;

// ---------------------------------------------------------------- server push

/** Data areas whose cached views a client should refresh. */
export type DataArea = 'project' | 'images' | 'embeddings' | 'runs' | 'mapping' | 'corrections' | 'classes';

export type PushEvent =
  | { type: 'job'; event: JobEvent }
  /** A project was opened, created or closed (summary null when closed). */
  | { type: 'project'; summary: ProjectSummary | null }
  /** Stored data changed (a job finished, another window edited a mapping...). */
  | { type: 'changed'; areas: DataArea[]; runId?: number }
  /**
   * A backbone's 2-D map is being computed: UMAP's neighbour search, `done` of `total` layout epochs,
   * then (more images than UMAP lays out itself) `done` of `total` other images placed.
   */
  | { type: 'map-progress'; backboneId: number; phase: 'neighbours' | 'layout' | 'placing'; done: number; total: number; etaSeconds: number | null };

/**
 * What the renderer talks to: window.spiceWorkbench in Electron (preload), a WebSocket client in a
 * browser. `call` rejects with an Error whose `code` is an ApiErrorCode.
 */
export interface ApiBridge {
  readonly platform: PlatformMode;
  call<M extends MethodName>(method: M, ...params: undefined extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>]): Promise<ResultOf<M>>;
  subscribe(listener: (event: PushEvent) => void): () => void;
  /** URL of an image's thumbnail or full image, by id (the only way images reach the renderer). */
  imageUrl(imageId: number, kind?: 'thumb' | 'full'): string;
}

/** Name of the global the Electron preload defines (window.spiceWorkbench). */
export const BRIDGE_GLOBAL = 'spiceWorkbench';
