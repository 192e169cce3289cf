import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyProposal,
  getClusterNames,
  mapClustersToClass,
  proposeMapping,
  proposeMappingFromFewShot,
  proposeMappingFromGroundTruth,
  restoreClusterNames,
  setClusterName,
  unnameCluster,
} from '../../main/pipeline/cluster/cluster-names.ts';
import { listClasses, renameClass } from '../../main/project/classes.ts';
import { labelImages } from '../../main/pipeline/label/person-labels.ts';
import { addRun, withSeededDb } from './db-fixture.ts';

const ex = (pairs: Array<[number, string]>) => pairs.map(([cluster, className]) => ({ cluster, className }));

test('proposeMapping: one-to-one Hungarian match when K equals the number of classes', () => {
  // Greedy would give cluster 0 'cat' (3 votes) and leave cluster 1 with 'dog' at 0 votes; the best total is 0->dog, 1->cat.
  const p = proposeMapping(
    2,
    ex([
      [0, 'cat'],
      [0, 'cat'],
      [0, 'cat'],
      [0, 'dog'],
      [0, 'dog'],
      [1, 'cat'],
      [1, 'cat'],
    ]),
  );
  assert.deepEqual(
    p.map((c) => [c.className, c.reason, c.votes, c.labelled]),
    [
      ['dog', 'matched', 2, 5],
      ['cat', 'matched', 2, 2],
    ],
  );
});

test('proposeMapping: surplus clusters take their majority class; clusters without evidence stay unnamed', () => {
  const p = proposeMapping(
    5,
    ex([
      [0, 'cat'],
      [0, 'cat'],
      [1, 'dog'],
      [2, 'cat'],
      [2, 'dog'],
      [2, 'cat'],
      [3, 'dog'],
    ]),
  );
  assert.equal(p[0].className, 'cat');
  assert.equal(p[0].reason, 'matched');
  assert.equal(p[1].className, 'dog');
  assert.equal(p[1].reason, 'matched');
  assert.deepEqual([p[2].className, p[2].reason, p[2].votes], ['cat', 'majority', 2]);
  assert.deepEqual([p[3].className, p[3].reason], ['dog', 'majority']);
  assert.deepEqual([p[4].className, p[4].reason], [null, 'no-evidence']);
  // More classes than clusters: a class is left out, every cluster named.
  const few = proposeMapping(
    2,
    ex([
      [0, 'a'],
      [1, 'b'],
      [1, 'c'],
      [1, 'c'],
    ]),
  );
  assert.deepEqual(
    few.map((c) => c.className),
    ['a', 'c'],
  );
  assert.deepEqual(
    proposeMapping(2, []).map((c) => c.className),
    [null, null],
  );
});

test('mapping: rename, many-to-one, unname and undo', () => {
  withSeededDb(6, (db) => {
    const run = addRun(db, 4, [0, 1, 2, 3, 0, 1]);
    assert.deepEqual(getClusterNames(db, run), [null, null, null, null]);
    assert.deepEqual(setClusterName(db, run, 0, ' cat '), { cluster: 0, previous: null });
    const changes = mapClustersToClass(db, run, [1, 2], 'dog');
    assert.deepEqual(getClusterNames(db, run), ['cat', 'dog', 'dog', null]);
    assert.deepEqual(setClusterName(db, run, 1, 'cat'), { cluster: 1, previous: 'dog' });
    unnameCluster(db, run, 2);
    assert.deepEqual(getClusterNames(db, run), ['cat', 'cat', null, null]);
    restoreClusterNames(db, run, changes);
    assert.deepEqual(getClusterNames(db, run), ['cat', null, null, null]);
    assert.deepEqual(listClasses(db), ['cat', 'dog']);
    renameClass(db, 'cat', 'kitten');
    assert.deepEqual(getClusterNames(db, run), ['kitten', null, null, null]);
    assert.throws(() => setClusterName(db, run, 4, 'x'), /clusters 0\.\.3/);
    assert.throws(() => setClusterName(db, run, 0, 'a/b'), /slash/);
    assert.throws(() => setClusterName(db, run, 0, '  '), /empty/);
    assert.throws(() => setClusterName(db, run, 0, 'Unassigned'), /reserved/);
    assert.throws(() => renameClass(db, 'kitten', 'dog'), /already exists/);
  });
});

test('mapping: proposals from imported or accepted person labels and from folder labels', () => {
  withSeededDb(8, (db) => {
    // Folder labels of the fixture: odd ids 'odd', even ids 'even'.
    const run = addRun(db, 3, [0, 1, 0, 1, 2, 1, 2, 1]);
    const truth = proposeMappingFromGroundTruth(db, run);
    assert.equal(truth.evidence, 8);
    // cluster 0: ids 1,3 (odd); cluster 1: ids 2,4,6,8 (even); cluster 2: ids 5,7 (odd) -> surplus, majority 'odd'.
    assert.deepEqual(
      truth.clusters.map((c) => [c.className, c.reason]),
      [
        ['odd', 'matched'],
        ['even', 'matched'],
        ['odd', 'majority'],
      ],
    );

    labelImages(db, [1], 'bird', 'imported');
    labelImages(db, [2], 'car', 'accepted');
    const fewShot = proposeMappingFromFewShot(db, run);
    assert.equal(fewShot.evidence, 2);
    assert.deepEqual(
      fewShot.clusters.map((c) => c.className),
      ['bird', 'car', null],
    );
    const undo = applyProposal(db, run, fewShot);
    assert.deepEqual(getClusterNames(db, run), ['bird', 'car', null]);
    restoreClusterNames(db, run, undo);
    assert.deepEqual(getClusterNames(db, run), [null, null, null]);
    assert.throws(() => labelImages(db, [99], 'x', 'imported'), /no image 99/);
  });
});

test('a proposal never names a cluster after the images a person moved out of it', () => {
  withSeededDb(12, (db) => {
    const run = addRun(db, 2, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    // The person looks at cluster 0 (cars), accepts two cars and moves the four trucks out of it.
    labelImages(db, [1, 2], 'automobile', 'accepted');
    labelImages(db, [3, 4, 5, 6], 'truck', 'set');
    labelImages(db, [7], 'truck', 'imported');
    const p = proposeMappingFromFewShot(db, run);
    assert.equal(p.evidence, 3, 'moved images are not evidence');
    assert.deepEqual(
      p.clusters.map((c) => c.className),
      ['automobile', 'truck'],
    );
  });
});
