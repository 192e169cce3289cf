// The renderer's pure parts of the labelling loop: what the grid remembers per project, what accepting a
// review screen does and how a screen is laid out, class hotkeys in the pickers, and the "Quick" text.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageRow } from '../../preload/contract/api.ts';
import { DEFAULT_MEMORY, loadMemory, saveMemory, sourceParams, withPlace } from '../../renderer/src/lib/state/grid-memory.ts';
import { acceptPlan, groupByLabel } from '../../renderer/src/lib/state/review-plan.ts';
import { classOptions } from '../../renderer/src/lib/state/class-options.ts';
import { labelBadge, reliableMark } from '../../renderer/src/lib/util/label-badge.ts';
import { DEFAULT_SPICE_SELF, QUICK_SPICE_SELF, quickHint } from '../../renderer/src/lib/util/spice-quick.ts';
import { resolveSpiceSettings, SPICE_DEFAULTS } from '../../main/pipeline/cluster/spice-settings.ts';

function storage(): Storage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (k) => data.get(k) ?? null,
    key: (i) => [...data.keys()][i] ?? null,
    removeItem: (k) => void data.delete(k),
    setItem: (k, v) => void data.set(k, String(v)),
  };
}

function row(imageId: number, over: Partial<ImageRow> = {}): ImageRow {
  return {
    imageId,
    cluster: 0,
    confidence: 0.5,
    doubt: 0.5,
    reliable: false,
    relaxed: false,
    className: 'cat',
    predicted: 'cat',
    source: 'model',
    origin: null,
    corrected: false,
    outlier: false,
    ...over,
  };
}

describe('grid memory', () => {
  it('opens doubt-first and remembers source, sort, filter and places per project', () => {
    const s = storage();
    assert.equal(loadMemory(s, '/p').sort, 'doubt');
    const m = withPlace({ ...DEFAULT_MEMORY, source: { kind: 'cluster', cluster: 3 }, sort: 'confidence', hideReviewed: true }, '1|c3|confidence', {
      cursor: 41,
      scrollTop: 900,
    });
    saveMemory(s, '/p', m);
    const back = loadMemory(s, '/p');
    assert.deepEqual(back.source, { kind: 'cluster', cluster: 3 });
    assert.equal(back.sort, 'confidence');
    assert.equal(back.hideReviewed, true);
    assert.deepEqual(back.places['1|c3|confidence'], { cursor: 41, scrollTop: 900 });
    // Another project starts fresh.
    assert.equal(loadMemory(s, '/other').source, null);
  });

  it('survives a damaged entry and keeps only the newest places', () => {
    const s = storage();
    s.setItem('spice.grid./p', '{not json');
    assert.deepEqual(loadMemory(s, '/p'), DEFAULT_MEMORY);
    s.setItem('spice.grid./p', JSON.stringify({ source: { kind: 'cluster', cluster: 'x' }, sort: 'bogus' }));
    assert.equal(loadMemory(s, '/p').source, null);
    assert.equal(loadMemory(s, '/p').sort, 'doubt');
    let m = DEFAULT_MEMORY;
    for (let i = 0; i < 100; i++) m = withPlace(m, `k${i}`, { cursor: i, scrollTop: 0 });
    saveMemory(s, '/p', m);
    const places = Object.keys(loadMemory(s, '/p').places);
    assert.ok(places.length <= 60 && places.includes('k99') && !places.includes('k0'));
  });

  it('puts every source in the address (a set by reference)', () => {
    assert.deepEqual(sourceParams({ kind: 'cluster', cluster: 2 }), { cluster: 2 });
    assert.deepEqual(sourceParams({ kind: 'class', className: 'cat' }), { class: 'cat' });
    assert.deepEqual(sourceParams({ kind: 'outliers' }), { outliers: 1 });
    assert.deepEqual(sourceParams({ kind: 'set' }), { set: 1 });
  });
});

describe('review screen', () => {
  it('accepts only the model labels shown and steps past images with nothing to accept', () => {
    const rows = [
      row(1),
      row(2, { source: 'person', origin: 'set', className: 'dog', corrected: true }),
      row(3, { className: null, predicted: null }),
      row(4, { source: 'person', origin: 'set', className: null, outlier: true }),
      row(5, { className: 'dog', predicted: 'dog' }),
    ];
    assert.deepEqual(acceptPlan(rows, 0, true), { accept: [1, 5], unlabelled: 1, nextOffset: 1 });
    // Showing reviewed images too, the queue does not shrink: the next screen follows this one.
    assert.equal(acceptPlan(rows, 20, false).nextOffset, 25);
  });

  it('groups a screen by the label it shows, queue order within a label, unnamed and outliers last', () => {
    const rows = [
      row(1, { className: 'dog' }),
      row(2, { className: null }),
      row(3, { className: 'cat' }),
      row(4, { className: 'dog' }),
      row(5, { className: null, outlier: true }),
      row(6, { className: 'cat' }),
    ];
    assert.deepEqual(groupByLabel(rows), [3, 6, 1, 4, 5, 2]);
  });
});

describe('labels in the UI', () => {
  it('offers every class with its hotkey', () => {
    const opts = classOptions(
      ['cat', 'zebra'],
      {
        runId: 1,
        k: 2,
        clusters: [
          { cluster: 0, className: 'cat' },
          { cluster: 1, className: 'dog' },
        ],
      },
      [
        { name: 'cat', hotkey: '1', clusters: 1, personLabels: 0, images: 0 },
        { name: 'zebra', hotkey: 'z', clusters: 0, personLabels: 2, images: 2 },
      ],
    );
    assert.deepEqual(opts, [
      { name: 'cat', clusters: [0], hotkey: '1' },
      { name: 'dog', clusters: [1], hotkey: null },
      { name: 'zebra', clusters: [], hotkey: 'z' },
    ]);
  });

  it('tells a person label by how it came about, and a relaxed reliable sample from a truly reliable one', () => {
    assert.equal(labelBadge(row(1)), null);
    assert.equal(labelBadge(row(1, { source: 'person', origin: 'accepted' }))?.icon, '✓');
    assert.equal(labelBadge(row(1, { source: 'person', origin: 'imported' }))?.icon, '⇩');
    assert.equal(labelBadge(row(1, { source: 'person', origin: 'set' }))?.icon, '✎');
    assert.equal(reliableMark(row(1)), null);
    assert.equal(reliableMark(row(1, { reliable: true }))?.kind, 'reliable');
    assert.equal(reliableMark(row(1, { reliable: true, relaxed: true }))?.kind, 'relaxed');
  });

  it('says what "Quick" changes, in the figures the services use', () => {
    const quick = resolveSpiceSettings({ quick: true });
    const plain = resolveSpiceSettings({});
    assert.equal(quick.self.heads, QUICK_SPICE_SELF.heads);
    assert.equal(quick.self.epochs, QUICK_SPICE_SELF.epochs);
    assert.equal(SPICE_DEFAULTS.self.heads, DEFAULT_SPICE_SELF.heads);
    assert.equal(SPICE_DEFAULTS.self.epochs, DEFAULT_SPICE_SELF.epochs);
    // Quick leaves SPICE-Semi (and everything else) as it is.
    assert.equal(quick.semiEpochs, plain.semiEpochs);
    assert.deepEqual({ ...quick, self: null }, { ...plain, self: null });
    assert.match(quickHint(), /3 heads and 8 epochs instead of 10 and 100/);
  });
});
