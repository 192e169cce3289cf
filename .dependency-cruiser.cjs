// The layers of the code, enforced (`npm run check:layers`; test/contract/layers.test.ts runs the same
// check under `npm test`). From the bottom; a layer imports only from layers below it and itself:
//
//   transports      main/cli, main/server, main/electron (+ preload/index.ts, the Electron preload)
//   app services    main/app
//   pipeline stages main/pipeline/{import, embed, pretrain, cluster, label}, each only from the ones before it
//   models          main/models (backbones: registry, weights, the backbone trained in the project)
//   project         main/project (open/create a project; its class list)
//   db, jobs, ml    main/db, main/jobs, main/ml (ml: networks and runtimes only, nothing above base)
//   base            main/base
//   contract        preload/contract (pure: imports nothing but itself and valibot, its schemas)
//
// Type-only imports count like any other: a layer may not even name a type from above it. The
// renderer (renderer/) takes only the contract. Native runtimes are chosen in one place each:
// onnxruntime-node in main/ml/onnx.ts (ort-cuda.ts finds its CUDA libraries), a TensorFlow.js backend
// in main/ml/tf-backend.ts, Electron in main/electron/ and the preload.

/** Folders of `layer` and every layer above it, as one path pattern. */
const LAYERS = [
  ['contract', ['preload/contract/']],
  ['base', ['main/base/']],
  ['db, jobs, ml', ['main/db/', 'main/jobs/', 'main/ml/']],
  ['project', ['main/project/']],
  ['models', ['main/models/']],
  ['pipeline', ['main/pipeline/']],
  ['app', ['main/app/']],
  ['transports', ['main/cli/', 'main/server/', 'main/electron/', 'preload/index\\.ts$']],
];
const STAGES = ['import', 'embed', 'pretrain', 'cluster', 'label'];

const escape = (folder) => folder.replace(/\//g, '\\/');
const anyOf = (folders) => `^(${folders.map(escape).join('|')})`;

const layerRules = LAYERS.slice(0, -1).map(([name, folders], i) => {
  const above = LAYERS.slice(i + 1).flatMap(([, f]) => f);
  return {
    name: `layer-${name.replace(/, /g, '-')}`,
    comment: `${name} (${folders.join(', ')}) imports nothing from a layer above it (${LAYERS.slice(i + 1)
      .map(([n]) => n)
      .join(', ')})`,
    severity: 'error',
    from: { path: anyOf(folders) },
    to: { path: anyOf(above) },
  };
});

const stageRules = STAGES.slice(0, -1).map((stage, i) => ({
  name: `stage-${stage}`,
  comment: `the ${stage} stage imports nothing from a later stage (${STAGES.slice(i + 1).join(', ')})`,
  severity: 'error',
  from: { path: `^main/pipeline/${stage}/` },
  to: { path: `^main/pipeline/(${STAGES.slice(i + 1).join('|')})/` },
}));

/** An npm package, installed (node_modules/...) or not (an optional one: just its name). */
const pkg = (pattern) => `(^|/)(node_modules/)?${pattern}(/|$)`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycle between modules',
      severity: 'error',
      from: { path: '^(main|preload)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-types',
      comment: 'no import cycle through type-only imports either',
      severity: 'error',
      from: { path: '^(main|preload)/' },
      to: { circular: true, via: { dependencyTypes: ['type-only'] } },
    },
    {
      name: 'no-circular-folders',
      comment: 'no import cycle between folders',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(main|preload)/' },
      to: { circular: true },
    },
    ...layerRules,
    ...stageRules,
    {
      name: 'contract-is-pure',
      comment: 'the contract imports nothing but itself and valibot (its params schemas): no Node, no DOM-only code, no Electron, no other npm package',
      severity: 'error',
      from: { path: '^preload/contract/' },
      to: { pathNot: `^preload/contract/|${pkg('valibot')}` },
    },
    {
      name: 'ml-runtimes-only',
      comment: 'main/ml holds networks and runtimes: it knows nothing of the database or jobs',
      severity: 'error',
      from: { path: '^main/ml/' },
      to: { path: '^main/(db|jobs)/' },
    },
    {
      name: 'no-tools-or-tests',
      comment: 'the app never imports tests, scripts or the renderer',
      severity: 'error',
      from: { path: '^(main|preload)/' },
      to: { path: '^(test|scripts|renderer)/' },
    },
    {
      name: 'onnxruntime-only-in-ml-onnx',
      comment: 'only main/ml/onnx.ts (and ort-cuda.ts, which locates its CUDA libraries) loads onnxruntime-node',
      severity: 'error',
      from: { pathNot: '^main/ml/(onnx|ort-cuda)\\.ts$' },
      to: { path: pkg('onnxruntime-(node|common)') },
    },
    {
      name: 'tf-backend-only-in-tf-backend',
      comment: 'only main/ml/tf-backend.ts chooses and loads a TensorFlow.js backend; everything else takes `tf` from it',
      severity: 'error',
      from: { pathNot: '^main/ml/tf-backend\\.ts$' },
      to: { path: pkg('@tensorflow/(tfjs-backend-[^/]+|tfjs-node(-gpu)?|tfjs)') },
    },
    {
      name: 'tensorflow-only-in-ml',
      comment: 'TensorFlow.js is a runtime: only main/ml/ imports it (the rest takes `tf` from main/ml/tf-backend.ts)',
      severity: 'error',
      from: { pathNot: '^main/ml/' },
      to: { path: pkg('@tensorflow/[^/]+') },
    },
    {
      name: 'electron-only-in-main-electron',
      comment: 'only main/electron/ and the preload import Electron: everything else runs under plain Node',
      severity: 'error',
      from: { pathNot: '^(main/electron/|preload/index\\.ts$)' },
      to: { path: pkg('electron') },
    },
    {
      name: 'ipc-adapter-types-only',
      comment: 'the IPC adapter takes only types from Electron, so it runs (and is tested) under plain Node',
      severity: 'error',
      from: { path: '^main/electron/ipc-adapter\\.ts$' },
      to: { path: pkg('electron'), dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-only-contract',
      comment: 'the renderer talks to main through the bridge only: it imports the contract, nothing else of main or the preload',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^(main/|preload/(?!contract/))' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every relative import resolves (a moved file leaves no dangling import)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^\\.' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    // Type-only imports are dependencies too (the layers hold for types as well).
    tsPreCompilationDeps: true,
    // The path alias $contract/* of the renderer.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.svelte'],
      mainFields: ['module', 'main', 'types'],
    },
    cache: false,
  },
};
