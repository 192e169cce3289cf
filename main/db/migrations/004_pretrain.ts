// MoCo v2 pre-training on the project's images: runs, their latest checkpoint, the loss of every
// step, and the trained encoder that becomes a backbone (backbones.source = 'project').
export const up = `
CREATE TABLE pretrain_runs (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL UNIQUE,          -- the backbone is 'project:<name>'
  config       TEXT    NOT NULL,                 -- JSON PretrainConfig (resolved, with normalisation)
  state        TEXT    NOT NULL CHECK (state IN ('training', 'done')),
  epochs_done  INTEGER NOT NULL DEFAULT 0,
  image_count  INTEGER NOT NULL,
  backend      TEXT,                             -- which TensorFlow.js backend trained it last
  job_id       INTEGER REFERENCES jobs(id),
  backbone_id  INTEGER REFERENCES backbones(id) ON DELETE SET NULL,
  seconds      REAL    NOT NULL DEFAULT 0,       -- training time, summed over resumes
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  finished_at  INTEGER
) STRICT;

-- The latest end-of-epoch state of a run still training: both encoders, optimizer, queue, RNG.
CREATE TABLE pretrain_checkpoints (
  run_id   INTEGER PRIMARY KEY REFERENCES pretrain_runs(id) ON DELETE CASCADE,
  epoch    INTEGER NOT NULL,                     -- epochs completed
  step     INTEGER NOT NULL,                     -- optimizer steps completed
  manifest TEXT    NOT NULL,                     -- JSON: arrays [{name, shape}], queuePtr, rng
  data     BLOB    NOT NULL,                     -- float32 arrays concatenated in manifest order
  saved_at INTEGER NOT NULL
) STRICT;

CREATE TABLE pretrain_losses (
  run_id INTEGER NOT NULL REFERENCES pretrain_runs(id) ON DELETE CASCADE,
  step   INTEGER NOT NULL,                       -- 0-based optimizer step
  epoch  INTEGER NOT NULL,                       -- 0-based epoch the step belongs to
  loss   REAL    NOT NULL,
  lr     REAL    NOT NULL,
  PRIMARY KEY (run_id, step)
) STRICT, WITHOUT ROWID;

-- The trained query encoder (without projection head), read by the feature extractor.
CREATE TABLE pretrain_encoders (
  run_id   INTEGER PRIMARY KEY REFERENCES pretrain_runs(id) ON DELETE CASCADE,
  manifest TEXT    NOT NULL,                     -- JSON: encoder spec, arrays [{name, shape}]
  data     BLOB    NOT NULL,
  saved_at INTEGER NOT NULL
) STRICT;
`;
