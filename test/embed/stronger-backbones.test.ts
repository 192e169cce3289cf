// models/README.md shows how to bring a self-supervised or CLIP image encoder as an ONNX file with a
// JSON card. Here small randomly initialised networks of the same input and output form as those
// exports (DINOv2 ViT-S/14, CLIP ViT-B/32: fixed 224-px input; a MoCo v2 ResNet-50: any size, 2,048-d)
// go through the product's shape checks, input-size choice, preprocessing from the card, and embedding.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openProject, type Project } from '../../main/project/project.ts';
import { loadEmbeddingMatrix } from '../../main/db/embeddings-repo.ts';
import { encodeOnnxModel, type GraphInitializer, type GraphNode } from '../../main/ml/onnx-graph.ts';
import { resolveBackbone } from '../../main/models/resolve-backbone.ts';
import { createRng } from '../../main/base/random.ts';
import { embedProject } from '../../main/pipeline/embed/embed-job.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { CIFAR_CLASSES, demoImage } from '../helpers/paths.ts';

const work = makeTempDir('spice-stronger-backbones-');
let project: Project;

before(async () => {
  const images = join(work.dir, 'images');
  mkdirSync(images);
  for (const cls of CIFAR_CLASSES.slice(0, 6)) copyFileSync(demoImage(cls, 1), join(images, `${cls}.jpg`));
  project = openProject(join(work.dir, 'project'));
  assert.equal((await importFolder(project, images)).added, 6);
});

after(() => {
  project.close();
  work.cleanup();
});

function randomWeights(name: string, dims: number[], seed: number): GraphInitializer {
  const rng = createRng(seed);
  const fanIn = dims.slice(1).reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (rng.next() - 0.5) * (2 / Math.sqrt(fanIn)));
  return { name, dims, data };
}

interface Form {
  file: string;
  /** Input side fixed by the graph (ViT exports), or null for any size (CNNs). */
  fixed: number | null;
  inputName: string;
  outputName: string;
  /** Patch (ViT) or stem (CNN) size and stride of the one convolution. */
  patch: number;
  width: number;
  outputDim: number;
  card: Record<string, unknown>;
}

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

const FORMS: Form[] = [
  {
    file: 'dinov2_vits14.onnx',
    fixed: 224,
    inputName: 'pixel_values',
    outputName: 'cls_token',
    patch: 14,
    width: 384,
    outputDim: 384,
    card: { onnx: { input_name: 'pixel_values', output_name: 'cls_token', layout: 'NCHW', channel_order: 'RGB', ...IMAGENET, native_input_size: 224 } },
  },
  {
    file: 'clip_vit_b32.onnx',
    fixed: 224,
    inputName: 'pixel_values',
    outputName: 'image_embeds',
    patch: 32,
    width: 64,
    outputDim: 512,
    card: {
      onnx: { input_name: 'pixel_values', output_name: 'image_embeds', layout: 'NCHW', channel_order: 'RGB', mean: CLIP_MEAN, std: CLIP_STD, native_input_size: 224 },
    },
  },
  {
    file: 'moco_v2_r50.onnx',
    fixed: null,
    inputName: 'input',
    outputName: 'features',
    patch: 4,
    width: 32,
    outputDim: 2048,
    card: {
      input_name: 'input',
      output_name: 'features',
      layout: 'NCHW',
      channel_order: 'RGB',
      ...IMAGENET,
      native_input_size: 224,
      small_image_input_size: 96,
      size_multiple: 32,
    },
  },
];

/** One strided convolution, global average pooling and (when the widths differ) a projection. */
function writeForm(form: Form): string {
  const side = form.fixed ?? 'height';
  const nodes: GraphNode[] = [
    {
      opType: 'Conv',
      inputs: [form.inputName, 'patch_w'],
      outputs: ['tokens'],
      attributes: { kernel_shape: [form.patch, form.patch], strides: [form.patch, form.patch] },
    },
    { opType: 'ReduceMean', inputs: ['tokens'], outputs: form.width === form.outputDim ? [form.outputName] : ['pooled'], attributes: { axes: [2, 3], keepdims: 0 } },
  ];
  const initializers = [randomWeights('patch_w', [form.width, 3, form.patch, form.patch], 1)];
  if (form.width !== form.outputDim) {
    nodes.push({ opType: 'MatMul', inputs: ['pooled', 'proj_w'], outputs: [form.outputName] });
    initializers.push(randomWeights('proj_w', [form.width, form.outputDim], 2));
  }
  const path = join(work.dir, form.file);
  writeFileSync(
    path,
    encodeOnnxModel({
      name: form.file,
      opset: 13,
      inputs: [{ name: form.inputName, type: 'float32', shape: ['batch', 3, side, form.fixed ?? 'width'] }],
      outputs: [{ name: form.outputName, type: 'float32', shape: ['batch', form.outputDim] }],
      nodes,
      initializers,
    }),
  );
  writeFileSync(path.replace(/\.onnx$/, '.json'), JSON.stringify(form.card));
  return path;
}

for (const form of FORMS) {
  test(`an encoder of the ${form.file.replace('.onnx', '')} form is accepted with its card's preprocessing and embeds`, async () => {
    const path = writeForm(form);
    const backbone = await resolveBackbone(project, path);
    const card = (form.card.onnx ?? form.card) as { mean: number[]; std: number[] };
    assert.equal(backbone.outputDim, form.outputDim);
    assert.equal(backbone.inputName, form.inputName);
    assert.equal(backbone.outputName, form.outputName);
    assert.deepEqual(backbone.mean, card.mean);
    assert.deepEqual(backbone.std, card.std);
    // A ViT export fixes its input at 224 px; a CNN takes the card's small-image size for these 32-px images.
    assert.equal(backbone.inputSize, form.fixed ?? 96);
    const summary = await embedProject(project, { backbone: path });
    assert.equal(summary.computed, 6);
    const m = loadEmbeddingMatrix(project.db, backbone.id, 'plain');
    assert.equal(m.dim, form.outputDim);
    for (let i = 0; i < 6; i++) {
      const row = m.data.subarray(i * m.dim, (i + 1) * m.dim);
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-4, 'stored vectors are L2-normalised');
    }
    assert.notDeepEqual(m.data.subarray(0, m.dim), m.data.subarray(m.dim, 2 * m.dim), 'different images, different vectors');
  });
}

test('a fixed-size encoder refuses another --size with the size it takes', async () => {
  const path = join(work.dir, 'dinov2_vits14.onnx');
  await assert.rejects(resolveBackbone(project, path, { size: 128, name: 'dino-128' }), /only takes 224x224/);
});
