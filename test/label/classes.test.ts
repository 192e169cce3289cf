import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getClusterNames, setClusterName } from '../../main/pipeline/cluster/cluster-names.ts';
import { carryOverClusterNames, matchClustersToClasses } from '../../main/pipeline/cluster/name-carryover.ts';
import { getRun } from '../../main/db/runs-repo.ts';
import { acceptImages, acceptRestOfCluster } from '../../main/pipeline/label/accept.ts';
import { createClass, deleteClass, ensureClass, listClasses, mergeClasses, renameClass, restoreClassSnapshot, setClassHotkey } from '../../main/project/classes.ts';
import { getPersonLabel, labelImages, listPersonLabels, markOutliers } from '../../main/pipeline/label/person-labels.ts';
import { reviewQueue } from '../../main/db/run-labels-repo.ts';
import { addRun, withSeededDb } from '../cluster/db-fixture.ts';
import type { Db } from '../../main/db/connection.ts';

/** Everything a class change can touch, to compare before and after an undo. */
function state(db: Db) {
  return {
    classes: db.prepare('SELECT name, hotkey FROM classes ORDER BY name').all(),
    labels: [...listPersonLabels(db)].sort((a, b) => a[0] - b[0]),
    names: db.prepare('SELECT run_id, cluster, class_name FROM cluster_names ORDER BY run_id, cluster').all(),
  };
}

test('classes: rename, merge and delete touch labels and names of every run, and each undoes exactly', () => {
  withSeededDb(6, (db) => {
    const a = addRun(db, 3, [0, 0, 1, 1, 2, 2]);
    const b = addRun(db, 2, [0, 1, 0, 1, 0, 1]);
    setClusterName(db, a, 0, 'cat');
    setClusterName(db, a, 1, 'kitty');
    setClusterName(db, b, 0, 'dog');
    labelImages(db, [1], 'kitty');
    labelImages(db, [2], 'dog', 'imported');
    markOutliers(db, [3]);
    const start = state(db);

    const renamed = renameClass(db, 'kitty', 'kitten');
    assert.deepEqual(getClusterNames(db, a), ['cat', 'kitten', null]);
    assert.deepEqual(getPersonLabel(db, 1), { kind: 'class', className: 'kitten', origin: 'set' });
    const redo = restoreClassSnapshot(db, renamed);
    assert.deepEqual(state(db), start, 'undoing the rename puts everything back');
    restoreClassSnapshot(db, redo);
    assert.deepEqual(getClusterNames(db, a), ['cat', 'kitten', null], 'redo renames again');
    restoreClassSnapshot(db, renamed);

    const merged = mergeClasses(db, ['kitty', 'dog'], 'cat');
    assert.deepEqual(getClusterNames(db, a), ['cat', 'cat', null]);
    assert.deepEqual(getClusterNames(db, b), ['cat', null]);
    assert.deepEqual(listClasses(db), ['cat']);
    assert.equal(getPersonLabel(db, 2)?.kind === 'class' && getPersonLabel(db, 2)?.origin, 'imported', 'a merge keeps where a label came from');
    restoreClassSnapshot(db, merged);
    assert.deepEqual(state(db), start, 'undoing the merge puts everything back');

    const deleted = deleteClass(db, 'kitty');
    assert.equal(getPersonLabel(db, 1), null, "a deleted class's images go back to the model's label");
    assert.deepEqual(getClusterNames(db, a), ['cat', null, null]);
    assert.deepEqual(getPersonLabel(db, 3), { kind: 'outlier', origin: 'set' }, 'other labels stay');
    restoreClassSnapshot(db, deleted);
    assert.deepEqual(state(db), start, 'undoing the delete puts everything back');

    const created = createClass(db, 'bird');
    assert.throws(() => createClass(db, 'bird'), /already exists/);
    restoreClassSnapshot(db, created);
    assert.deepEqual(state(db), start);
    assert.throws(() => renameClass(db, 'cat', 'dog'), /already exists: merge/);
    assert.throws(() => mergeClasses(db, ['nope'], 'cat'), /no class 'nope'/);
    assert.throws(() => ensureClass(db, 'Outlier'), /reserved/);
  });
});

test('classes: new classes take the next free digit; any other key can be assigned, the grid keys cannot', () => {
  withSeededDb(1, (db) => {
    for (const c of ['a1', 'a2', 'a3']) ensureClass(db, c);
    assert.deepEqual(db.prepare('SELECT hotkey FROM classes ORDER BY name').pluck().all(), ['1', '2', '3']);
    const before = state(db);
    const moved = setClassHotkey(db, 'a3', '1');
    assert.deepEqual(
      db.prepare('SELECT name, hotkey FROM classes ORDER BY name').raw().all(),
      [
        ['a1', null],
        ['a2', '2'],
        ['a3', '1'],
      ],
      'the key moves',
    );
    restoreClassSnapshot(db, moved);
    assert.deepEqual(state(db), before);
    setClassHotkey(db, 'a1', 'Q');
    assert.equal(db.prepare("SELECT hotkey FROM classes WHERE name = 'a1'").pluck().get(), 'q');
    ensureClass(db, 'a4');
    assert.equal(db.prepare("SELECT hotkey FROM classes WHERE name = 'a4'").pluck().get(), '1', 'a freed digit is reused');
    assert.throws(() => setClassHotkey(db, 'a1', 'm'), /grid's own keys/);
    assert.throws(() => setClassHotkey(db, 'a1', 'ab'), /one printable character/);
  });
});

test('cluster names carry over to the next run by shared members; a cluster with no good match stays unnamed and new', () => {
  withSeededDb(12, (db) => {
    const first = addRun(db, 3, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    setClusterName(db, first, 0, 'cat');
    setClusterName(db, first, 1, 'dog');
    labelImages(db, [9, 10], 'bird'); // cluster 2 is unnamed, but two of its images have person labels
    // The new run numbers the groups differently, splits 'dog' in two and mixes the last group.
    const second = addRun(db, 4, [3, 3, 3, 3, 1, 1, 2, 2, 0, 0, 3, 1]);
    const r = carryOverClusterNames(db, second);
    assert.equal(r.from, first);
    assert.equal(getRun(db, second)?.namesFrom, first);
    // cluster 3 = images 1-4 (cat) + 11 -> cat (4/5); cluster 0 = images 9, 10 -> bird (person labels count);
    // cluster 1 = 5, 6, 12 -> dog (2/3); cluster 2 = 7, 8 -> surplus, all dog -> dog (many-to-one).
    assert.deepEqual(getClusterNames(db, second), ['bird', 'dog', 'dog', 'cat']);
    // A run that already has names is left alone, and a run with no earlier named run gets none.
    assert.equal(carryOverClusterNames(db, second).from, null);
    assert.deepEqual(
      matchClustersToClasses(
        [10, 10],
        [
          { cluster: 0, className: 'cat', n: 3 },
          { cluster: 1, className: 'dog', n: 9 },
        ],
      ),
      [null, 'dog'],
      'a weak match stays unnamed',
    );
  });
});

test('accepting: a selection or the rest of a named cluster becomes person labels; the review queue hides them', () => {
  withSeededDb(10, (db) => {
    const run = addRun(db, 2, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    setClusterName(db, run, 0, 'cat');
    labelImages(db, [2], 'dog');
    const selection = acceptImages(db, run, [1, 2, 6]);
    assert.deepEqual(
      selection.map((c) => c.imageId),
      [1],
      'a labelled image keeps its label; an unnamed cluster has nothing to accept',
    );
    assert.deepEqual(getPersonLabel(db, 1), { kind: 'class', className: 'cat', origin: 'accepted' });
    assert.throws(() => acceptRestOfCluster(db, run, 1), /no name yet/);
    const rest = acceptRestOfCluster(db, run, 0);
    assert.deepEqual(rest.map((c) => c.imageId).sort(), [3, 4, 5]);
    assert.deepEqual(getPersonLabel(db, 2), { kind: 'class', className: 'dog', origin: 'set' }, 'accept-rest never overwrites a person label');
    const queue = reviewQueue(db, run, { offset: 0, limit: 100, hideReviewed: true });
    assert.deepEqual(
      queue.rows.map((r) => r.imageId).sort((a, b) => a - b),
      [6, 7, 8, 9, 10],
    );
    assert.equal(queue.unreviewed, 5);
    assert.equal(reviewQueue(db, run, { offset: 0, limit: 100, hideReviewed: false }).total, 10);
  });
});

test('the review queue takes turns between clusters, most doubtful first', () => {
  withSeededDb(12, (db) => {
    const run = addRun(db, 2, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    // Doubt rises with the image id in cluster 0; cluster 1 has two low-doubt images.
    const setDoubt = db.prepare('UPDATE assignments SET doubt = ? WHERE run_id = ? AND image_id = ?');
    for (let id = 1; id <= 12; id++) setDoubt.run(id <= 10 ? id / 10 : 0.05, run, id);
    const order = reviewQueue(db, run, { offset: 0, limit: 12, hideReviewed: true, perRound: 2 }).rows.map((r) => r.imageId);
    // Round 1: the 2 most doubtful of each cluster (10, 9 and 11, 12), by doubt; then cluster 0's next ones.
    assert.deepEqual(order.slice(0, 4), [10, 9, 11, 12]);
    assert.deepEqual(order.slice(4), [8, 7, 6, 5, 4, 3, 2, 1]);
  });
});
