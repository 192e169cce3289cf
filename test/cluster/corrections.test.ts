import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clearCorrections,
  countCorrections,
  getCorrection,
  listCorrections,
  markOutliers,
  moveImagesToClass,
  restoreCorrections,
} from '../../main/pipeline/cluster/corrections.ts';
import { finalLabelCounts, finalLabels } from '../../main/pipeline/cluster/final-labels.ts';
import { mapClustersToClass, setClusterName } from '../../main/pipeline/cluster/mapping.ts';
import { addRun, withSeededDb } from './db-fixture.ts';

test('corrections: move, mark outlier, clear, and undo return the previous state', () => {
  withSeededDb(4, (db) => {
    assert.deepEqual(moveImagesToClass(db, [1, 2], 'cat'), [{ imageId: 1, previous: null }, { imageId: 2, previous: null }]);
    const second = markOutliers(db, [2]);
    assert.deepEqual(second, [{ imageId: 2, previous: { kind: 'class', className: 'cat' } }]);
    assert.deepEqual(getCorrection(db, 2), { kind: 'outlier' });
    restoreCorrections(db, second);
    assert.deepEqual(getCorrection(db, 2), { kind: 'class', className: 'cat' });
    clearCorrections(db, [1]);
    assert.equal(getCorrection(db, 1), null);
    assert.equal(countCorrections(db), 1);
    assert.deepEqual([...listCorrections(db)], [[2, { kind: 'class', className: 'cat' }]]);
    assert.throws(() => moveImagesToClass(db, [3, 42], 'dog'), /no image 42/);
    assert.equal(getCorrection(db, 3), null, 'a failed batch writes nothing');
  });
});

test('final labels: correction first, else the cluster name; unnamed clusters and outliers have no class', () => {
  withSeededDb(6, (db) => {
    const run = addRun(db, 3, [0, 0, 1, 1, 2]); // image 6 is not in the run
    setClusterName(db, run, 0, 'cat');
    mapClustersToClass(db, run, [1], 'cat'); // many-to-one
    moveImagesToClass(db, [2], 'dog');
    markOutliers(db, [3]);
    moveImagesToClass(db, [6], 'dog');
    const labels = finalLabels(db, run);
    assert.deepEqual(
      labels.map((l) => [l.imageId, l.cluster, l.className, l.corrected, l.outlier]),
      [
        [1, 0, 'cat', false, false],
        [2, 0, 'dog', true, false],
        [3, 1, null, true, true],
        [4, 1, 'cat', false, false],
        [5, 2, null, false, false],
        [6, null, 'dog', true, false],
      ],
    );
    assert.equal(labels[0].relPath, 'c1/img1.jpg');
    const counts = finalLabelCounts(labels);
    assert.deepEqual([...counts.perClass], [['cat', 2], ['dog', 2]]);
    assert.equal(counts.outliers, 1);
    assert.equal(counts.unlabelled, 1);
  });
});

test('corrections survive a new run and override it', () => {
  withSeededDb(4, (db) => {
    const first = addRun(db, 2, [0, 0, 1, 1]);
    setClusterName(db, first, 0, 'cat');
    moveImagesToClass(db, [1], 'dog');
    const second = addRun(db, 2, [1, 1, 0, 0]);
    setClusterName(db, second, 1, 'cat');
    const labels = finalLabels(db, second);
    assert.equal(labels[0].className, 'dog');
    assert.equal(labels[1].className, 'cat');
  });
});
