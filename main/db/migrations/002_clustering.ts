// Clustering runs, per-image assignments, cluster-to-class mapping and per-image corrections.
// Corrections live apart from runs so that they survive a re-run and override it.
export const up = `
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY,
  method      TEXT    NOT NULL CHECK (method IN ('kmeans', 'spice-self', 'spice')),
  backbone_id INTEGER NOT NULL REFERENCES backbones(id) ON DELETE CASCADE,
  k           INTEGER NOT NULL,
  seed        INTEGER NOT NULL,
  params      TEXT    NOT NULL,                 -- JSON
  report      TEXT,                             -- JSON: selected head, losses, relaxed thresholds, ...
  timings     TEXT,                             -- JSON {stage: seconds}
  state       TEXT    NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
  job_id      INTEGER REFERENCES jobs(id),
  created_at  INTEGER NOT NULL,
  finished_at INTEGER
) STRICT;

CREATE TABLE assignments (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  image_id   INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  cluster    INTEGER NOT NULL,
  confidence REAL    NOT NULL,
  doubt      REAL    NOT NULL,
  reliable   INTEGER NOT NULL DEFAULT 0 CHECK (reliable IN (0, 1)),
  probs      BLOB    NOT NULL,                  -- float32[k]
  PRIMARY KEY (run_id, image_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX assignments_cluster ON assignments(run_id, cluster, confidence);

-- A trained classifier of a run (SPICE-Semi head, k-means centroids), for classifying new images.
CREATE TABLE run_models (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  kind   TEXT NOT NULL,
  spec   TEXT NOT NULL,                         -- JSON: layer shapes, activation
  data   BLOB NOT NULL                          -- float32 weights, concatenated in spec order
) STRICT;

CREATE TABLE classes (
  name       TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) STRICT;

-- cluster -> class name per run; many-to-one allowed; a missing row or NULL class = unnamed.
CREATE TABLE cluster_names (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  cluster    INTEGER NOT NULL,
  class_name TEXT REFERENCES classes(name) ON UPDATE CASCADE ON DELETE SET NULL,
  PRIMARY KEY (run_id, cluster)
) STRICT;

-- A person's word on one image: its class, or that it is an outlier. Overrides every run.
CREATE TABLE corrections (
  image_id   INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  class_name TEXT REFERENCES classes(name) ON UPDATE CASCADE ON DELETE CASCADE,
  outlier    INTEGER NOT NULL DEFAULT 0 CHECK (outlier IN (0, 1)),
  updated_at INTEGER NOT NULL,
  CHECK ((class_name IS NULL) = (outlier = 1))
) STRICT;

-- The few images a person has labelled by hand (the few-shot case), used to propose a mapping.
CREATE TABLE few_shot_labels (
  image_id   INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  class_name TEXT NOT NULL REFERENCES classes(name) ON UPDATE CASCADE ON DELETE CASCADE
) STRICT;
`;
