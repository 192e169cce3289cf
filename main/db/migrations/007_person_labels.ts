// Labels belong to images, not to runs.
// - person_labels replaces corrections and few_shot_labels: one row per image a person labelled, with
//   where the label came from ('set' in the app, 'accepted' as the model showed it, 'imported' from a
//   CSV or a labelled folder). Both old tables are copied over; a correction wins over a few-shot label.
// - runs gains the method 'refine' (SPICE-Semi on the person's labels), the state 'interrupted' (its
//   process died) and names_from (the run whose cluster names were carried over to it). SQLite cannot
//   change a CHECK in place, so the table is rebuilt; the migration runs with foreign keys off so the
//   DROP does not cascade into assignments, cluster names and run models (migrations/index.ts).
// - run_labels is the one definition of an image's final label in a run (the person's label, else the
//   model's: its cluster's name); the grid, the review queue, the export and the CLI all read it.
// - classes gain a hotkey the person assigns.
// - knn_graphs caches a backbone's cosine k-NN graph of the plain view: refine and doubt need it and
//   the embeddings do not change between runs.
export const up = `
CREATE TABLE runs_new (
  id          INTEGER PRIMARY KEY,
  method      TEXT    NOT NULL CHECK (method IN ('kmeans', 'spice-self', 'spice', 'refine')),
  backbone_id INTEGER NOT NULL REFERENCES backbones(id) ON DELETE CASCADE,
  k           INTEGER NOT NULL,
  seed        INTEGER NOT NULL,
  params      TEXT    NOT NULL,
  report      TEXT,
  timings     TEXT,
  state       TEXT    NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
  job_id      INTEGER REFERENCES jobs(id),
  names_from  INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER
) STRICT;
INSERT INTO runs_new (id, method, backbone_id, k, seed, params, report, timings, state, job_id, names_from, created_at, finished_at)
  SELECT id, method, backbone_id, k, seed, params, report, timings, state, job_id, NULL, created_at, finished_at FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;

CREATE TABLE person_labels (
  image_id   INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  class_name TEXT REFERENCES classes(name) ON UPDATE CASCADE ON DELETE CASCADE,
  outlier    INTEGER NOT NULL DEFAULT 0 CHECK (outlier IN (0, 1)),
  origin     TEXT    NOT NULL CHECK (origin IN ('set', 'accepted', 'imported')),
  updated_at INTEGER NOT NULL,
  CHECK ((class_name IS NULL) = (outlier = 1))
) STRICT;
INSERT INTO person_labels (image_id, class_name, outlier, origin, updated_at)
  SELECT image_id, class_name, outlier, 'set', updated_at FROM corrections;
INSERT INTO person_labels (image_id, class_name, outlier, origin, updated_at)
  SELECT f.image_id, f.class_name, 0, 'imported', CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM few_shot_labels f
  WHERE NOT EXISTS (SELECT 1 FROM corrections c WHERE c.image_id = f.image_id);
CREATE INDEX person_labels_class ON person_labels(class_name);
DROP TABLE corrections;
DROP TABLE few_shot_labels;

CREATE VIEW run_labels AS
SELECT a.run_id, a.image_id, a.cluster, a.confidence, a.doubt, a.reliable,
       n.class_name                                                   AS predicted,
       p.image_id IS NOT NULL                                         AS person,
       p.origin                                                       AS origin,
       COALESCE(p.outlier, 0)                                         AS outlier,
       CASE WHEN p.image_id IS NOT NULL THEN p.class_name ELSE n.class_name END AS final_label,
       (p.image_id IS NOT NULL AND (p.outlier = 1 OR p.class_name IS NOT n.class_name)) AS corrected
FROM assignments a
LEFT JOIN person_labels p ON p.image_id = a.image_id
LEFT JOIN cluster_names n ON n.run_id = a.run_id AND n.cluster = a.cluster;

ALTER TABLE classes ADD COLUMN hotkey TEXT;
CREATE UNIQUE INDEX classes_hotkey ON classes(hotkey) WHERE hotkey IS NOT NULL;

CREATE INDEX assignments_doubt ON assignments(run_id, doubt);

CREATE TABLE knn_graphs (
  backbone_id  INTEGER PRIMARY KEY REFERENCES backbones(id) ON DELETE CASCADE,
  k            INTEGER NOT NULL,
  signature    TEXT    NOT NULL,                -- which plain vectors it was computed from (count, max image id)
  image_ids    BLOB    NOT NULL,                -- int32[n], ascending: row i of the graph
  indices      BLOB    NOT NULL,                -- int32[n x k], rows of the neighbours, nearest first
  similarities BLOB    NOT NULL,                -- float32[n x k]
  created_at   INTEGER NOT NULL
) STRICT;
`;
