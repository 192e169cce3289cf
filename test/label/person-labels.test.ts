import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clearPersonLabels,
  countPersonLabels,
  getPersonLabel,
  labelImages,
  listPersonLabels,
  markOutliers,
  restorePersonLabels,
} from '../../main/pipeline/label/person-labels.ts';
import { finalLabelCounts, finalLabels } from '../../main/pipeline/label/final-labels.ts';
import { mapClustersToClass, setClusterName } from '../../main/pipeline/cluster/cluster-names.ts';
import { addRun, withSeededDb } from '../cluster/db-fixture.ts';

test('person labels: move, mark outlier, clear, and undo return the previous label', () => {
  withSeededDb(4, (db) => {
    assert.deepEqual(labelImages(db, [1, 2], 'cat'), [
      { imageId: 1, previous: null },
      { imageId: 2, previous: null },
    ]);
    const second = markOutliers(db, [2]);
    assert.deepEqual(second, [{ imageId: 2, previous: { kind: 'class', className: 'cat', origin: 'set' } }]);
    assert.deepEqual(getPersonLabel(db, 2), { kind: 'outlier', origin: 'set' });
    restorePersonLabels(db, second);
    assert.deepEqual(getPersonLabel(db, 2), { kind: 'class', className: 'cat', origin: 'set' });
    clearPersonLabels(db, [1]);
    assert.equal(getPersonLabel(db, 1), null);
    assert.equal(countPersonLabels(db), 1);
    assert.deepEqual([...listPersonLabels(db)], [[2, { kind: 'class', className: 'cat', origin: 'set' }]]);
    assert.throws(() => labelImages(db, [3, 42], 'dog'), /no image 42/);
    assert.equal(getPersonLabel(db, 3), null, 'a failed batch writes nothing');
  });
});

test('final labels: the person label first, else the cluster name; unnamed clusters and outliers have no class', () => {
  withSeededDb(6, (db) => {
    const run = addRun(db, 3, [0, 0, 1, 1, 2]); // image 6 is not in the run
    setClusterName(db, run, 0, 'cat');
    mapClustersToClass(db, run, [1], 'cat'); // many-to-one
    labelImages(db, [2], 'dog');
    markOutliers(db, [3]);
    labelImages(db, [6], 'dog');
    const labels = finalLabels(db, run);
    assert.deepEqual(
      labels.map((l) => [l.imageId, l.cluster, l.className, l.source, l.corrected, l.outlier]),
      [
        [1, 0, 'cat', 'model', false, false],
        [2, 0, 'dog', 'person', true, false],
        [3, 1, null, 'person', true, true],
        [4, 1, 'cat', 'model', false, false],
        [5, 2, null, 'model', false, false],
        [6, null, 'dog', 'person', true, false],
      ],
    );
    assert.equal(labels[0].relPath, 'c1/img1.jpg');
    const counts = finalLabelCounts(labels);
    assert.deepEqual(
      [...counts.perClass],
      [
        ['cat', 2],
        ['dog', 2],
      ],
    );
    assert.equal(counts.outliers, 1);
    assert.equal(counts.unlabelled, 1);
  });
});

test('person labels survive a new run and override it', () => {
  withSeededDb(4, (db) => {
    const first = addRun(db, 2, [0, 0, 1, 1]);
    setClusterName(db, first, 0, 'cat');
    labelImages(db, [1], 'dog');
    const second = addRun(db, 2, [1, 1, 0, 0]);
    setClusterName(db, second, 1, 'cat');
    const labels = finalLabels(db, second);
    assert.equal(labels[0].className, 'dog');
    assert.equal(labels[1].className, 'cat');
  });
});
