// The check of every method's params, typed against the contract: a method without a check is a
// compile error. Built from the value checks in value-checks.ts; validate.ts applies them.
import type { MethodName, ParamsOf } from '../../preload/contract/api.ts';
import { ApiError } from './services/errors.ts';
import { absolutePath, array, bool, className, int, maybe, MAX_IDS, MAX_PATH, none, nullable, num, object, oneOf, optional, str, type Check } from './value-checks.ts';

const id = () => int({ min: 1 });
const runId = id;
const imageIds = () => array(id(), { min: 1, max: MAX_IDS });
const clusterIndex = () => int({ min: 0, max: 100_000 });
const viewCounts = () => object({ weak: int({ min: 0, max: 64 }), strong: int({ min: 0, max: 64 }), fixed: optional(int({ min: 0, max: 4 })) });
const spiceSettings = () =>
  object({
    quick: optional(bool()),
    epochs: optional(int({ min: 1, max: 10_000 })),
    heads: optional(int({ min: 1, max: 64 })),
    batchSize: optional(int({ min: 8, max: 65_536 })),
    semiEpochs: optional(int({ min: 0, max: 10_000 })),
  });
const kValue = () => int({ min: 2, max: 1000 });
const seedValue = () => int({ min: 0, max: 2 ** 31 - 1 });
const sizeValue = () => int({ min: 32, max: 1024 });
const backboneSpec = () => str({ min: 1, max: MAX_PATH });
const clusterNameEntry = () => object({ cluster: clusterIndex(), className: nullable(className()) });
const labelOrigin = () => oneOf('set', 'accepted', 'imported');
const correctionEntry = () => object({ imageId: id(), className: nullable(className()), outlier: bool(), origin: optional(labelOrigin()) });

export const validators: { [M in MethodName]: Check<ParamsOf<M>> } = {
  'app.info': none(),
  'app.chooseFolder': maybe(object({ title: optional(str({ max: 200 })), defaultPath: optional(absolutePath()) })),

  'projects.recent': none(),
  'projects.create': object({ dir: absolutePath(), imageFolder: optional(absolutePath()), labelsFromFolders: optional(bool()) }),
  'projects.open': object({ dir: absolutePath() }),
  'projects.current': none(),
  'projects.close': none(),
  'projects.importErrors': maybe(object({ offset: optional(int({ min: 0 })), limit: optional(int({ min: 1, max: 10_000 })) })),

  'pipeline.startImport': maybe(object({ folder: optional(absolutePath()), labelsFromFolders: optional(bool()) })),
  'pipeline.startEmbed': object({ backbone: backboneSpec(), size: optional(sizeValue()), views: optional(viewCounts()) }),
  'pipeline.startCluster': object({
    method: oneOf('kmeans', 'spice'),
    spice: optional(spiceSettings()),
    k: kValue(),
    seed: optional(seedValue()),
    backbone: optional(backboneSpec()),
  }),
  'pipeline.startAll': object({
    imageFolder: optional(absolutePath()),
    labelsFromFolders: optional(bool()),
    backbone: optional(backboneSpec()),
    size: optional(sizeValue()),
    views: optional(viewCounts()),
    k: kValue(),
    seed: optional(seedValue()),
    spice: optional(spiceSettings()),
  }),
  'pipeline.startRefine': maybe(object({ runId: optional(runId()), seed: optional(seedValue()) })),
  'pipeline.cancel': object({ jobId: id() }),
  'pipeline.jobs': maybe(object({ limit: optional(int({ min: 1, max: 1000 })) })),

  'backbones.list': none(),
  'backbones.available': none(),

  'runs.list': none(),
  'runs.metrics': object({ runId: runId() }),

  'clusters.overview': object({ runId: runId(), samples: optional(int({ min: 0, max: 64 })) }),
  'clusters.images': (v, path) => {
    const p = object({
      runId: runId(),
      cluster: optional(clusterIndex()),
      className: optional(className()),
      outliers: optional(bool()),
      imageIds: optional(array(id(), { min: 1, max: 10_000 })),
      hideReviewed: optional(bool()),
      sort: oneOf('confidence', 'doubt'),
      offset: int({ min: 0 }),
      limit: int({ min: 1, max: 2000 }),
    })(v, path);
    const selectors = [p.cluster !== undefined, p.className !== undefined, p.outliers === true, p.imageIds !== undefined].filter(Boolean).length;
    if (selectors !== 1) throw new ApiError('invalid-argument', 'give exactly one of cluster, className, imageIds or outliers: true');
    return p;
  },

  'image.detail': object({ imageId: id(), runId: runId(), neighbours: optional(int({ min: 0, max: 200 })) }),

  'mapping.get': object({ runId: runId() }),
  'mapping.setClusterName': object({ runId: runId(), cluster: clusterIndex(), className: nullable(className()) }),
  'mapping.setMany': object({ runId: runId(), clusters: array(clusterIndex(), { min: 1, max: 1000 }), className: nullable(className()) }),
  'mapping.propose': object({ runId: runId(), from: oneOf('few-shot', 'ground-truth') }),
  'mapping.accept': object({
    runId: runId(),
    proposal: object({
      runId: runId(),
      from: oneOf('few-shot', 'ground-truth'),
      entries: array(object({ cluster: clusterIndex(), className: nullable(className()), support: num({ min: 0, max: 1 }) }), { max: 1000 }),
      evidence: int({ min: 0 }),
    }),
  }),
  'mapping.restore': object({ runId: runId(), entries: array(clusterNameEntry(), { max: 1000 }) }),

  'corrections.move': object({ imageIds: imageIds(), className: className() }),
  'corrections.markOutlier': object({ imageIds: imageIds() }),
  'corrections.clear': object({ imageIds: imageIds() }),
  'corrections.restore': object({ entries: array(correctionEntry(), { max: MAX_IDS }) }),

  'labels.classes': maybe(object({ runId: optional(runId()) })),
  'labels.createClass': object({ name: className() }),
  'labels.renameClass': object({ from: className(), to: className() }),
  'labels.mergeClasses': object({ from: array(className(), { min: 1, max: 1000 }), into: className() }),
  'labels.deleteClass': object({ name: className() }),
  'labels.setHotkey': object({ name: className(), hotkey: nullable(str({ min: 1, max: 1 })) }),
  'labels.restoreClasses': object({
    snapshot: object({
      classes: array(object({ name: className(), exists: bool(), hotkey: nullable(str({ min: 1, max: 1 })) }), { max: 1000 }),
      personLabels: array(object({ imageId: id(), className: className(), origin: labelOrigin() }), { max: MAX_IDS }),
      clusterNames: array(object({ runId: runId(), cluster: clusterIndex(), className: className() }), { max: MAX_IDS }),
    }),
  }),
  'labels.accept': object({ runId: runId(), imageIds: imageIds() }),
  'labels.acceptRest': object({ runId: runId(), cluster: clusterIndex() }),
  'labels.import': object({ csvFile: optional(absolutePath()), folder: optional(absolutePath()) }),
  'labels.stats': object({ runId: runId() }),

  'review.queue': object({ runId: runId(), offset: int({ min: 0 }), limit: int({ min: 1, max: 2000 }), hideReviewed: optional(bool()) }),
  'review.similar': object({ runId: runId(), imageIds: imageIds(), limit: int({ min: 1, max: 2000 }), hideReviewed: optional(bool()) }),

  'export.labels': object({ runId: runId(), format: oneOf('csv', 'json') }),
  'export.folders': object({ runId: runId(), mode: oneOf('copy', 'link') }),

  'map.projection': object({ runId: runId() }),
};
