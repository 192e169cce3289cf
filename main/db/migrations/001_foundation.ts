// Images, thumbnails, import errors, backbones, embeddings and the job history.
export const up = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE images (
  id          INTEGER PRIMARY KEY,
  rel_path    TEXT    NOT NULL UNIQUE,          -- relative to the project's image root, '/' separated
  sha256      TEXT    NOT NULL UNIQUE,
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  format      TEXT    NOT NULL,
  label       TEXT,                             -- ground truth (folder name); evaluation only
  imported_at INTEGER NOT NULL
) STRICT;
CREATE INDEX images_label ON images(label);

CREATE TABLE thumbnails (
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  mime     TEXT    NOT NULL,
  width    INTEGER NOT NULL,
  height   INTEGER NOT NULL,
  data     BLOB    NOT NULL
) STRICT;

-- Files that were not imported, with the reason; duplicates point at the image they repeat.
CREATE TABLE import_errors (
  id           INTEGER PRIMARY KEY,
  rel_path     TEXT    NOT NULL UNIQUE,
  reason       TEXT    NOT NULL,
  detail       TEXT,
  duplicate_of INTEGER REFERENCES images(id) ON DELETE SET NULL,
  recorded_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE backbones (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  source        TEXT    NOT NULL CHECK (source IN ('registry', 'file', 'project')),
  location      TEXT    NOT NULL,               -- absolute path of the weights (or project:<name>)
  sha256        TEXT,
  input_size    INTEGER NOT NULL,               -- chosen per project, recorded with the embeddings
  channel_order TEXT    NOT NULL CHECK (channel_order IN ('RGB', 'BGR')),
  layout        TEXT    NOT NULL DEFAULT 'NCHW' CHECK (layout IN ('NCHW', 'NHWC')),
  mean          TEXT    NOT NULL,               -- JSON [r, g, b] on 0..1 pixels
  std           TEXT    NOT NULL,
  input_name    TEXT    NOT NULL,
  output_name   TEXT    NOT NULL,
  output_dim    INTEGER NOT NULL,
  license       TEXT,
  added_at      INTEGER NOT NULL
) STRICT;

-- One L2-normalised float32 vector per (image, backbone, view). view is 'plain' or '<kind>/<n>'
-- for the augmented bank ('weak/0', 'strong/3'); view_specs says how each was made.
CREATE TABLE embeddings (
  image_id    INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  backbone_id INTEGER NOT NULL REFERENCES backbones(id) ON DELETE CASCADE,
  view        TEXT    NOT NULL,
  vector      BLOB    NOT NULL,
  PRIMARY KEY (backbone_id, view, image_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE view_specs (
  backbone_id INTEGER NOT NULL REFERENCES backbones(id) ON DELETE CASCADE,
  view        TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('plain', 'weak', 'strong')),
  seed        INTEGER NOT NULL,
  input_size  INTEGER NOT NULL,
  params      TEXT    NOT NULL,                 -- JSON of the augmentation settings
  PRIMARY KEY (backbone_id, view)
) STRICT;

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  kind         TEXT    NOT NULL,
  params       TEXT    NOT NULL,                -- JSON; a rerun with the same kind and params resumes
  state        TEXT    NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
  done         INTEGER NOT NULL DEFAULT 0,
  total        INTEGER,
  message      TEXT,
  error        TEXT,
  pid          INTEGER,
  resumed_from INTEGER REFERENCES jobs(id),
  started_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  finished_at  INTEGER
) STRICT;
CREATE INDEX jobs_kind_state ON jobs(kind, state);
`;
