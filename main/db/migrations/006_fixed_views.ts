// The view bank gains deterministic views ('fixed/gray', 'fixed/flip', 'fixed/zoom', 'fixed/gray-zoom'),
// recorded in view_specs with kind 'fixed'. SQLite cannot change a CHECK in place: the table is rebuilt
// with the same columns, key and STRICT, its rows copied over. No other table references view_specs.
export const up = `
CREATE TABLE view_specs_new (
  backbone_id INTEGER NOT NULL REFERENCES backbones(id) ON DELETE CASCADE,
  view        TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('plain', 'weak', 'strong', 'fixed')),
  seed        INTEGER NOT NULL,
  input_size  INTEGER NOT NULL,
  params      TEXT    NOT NULL,                 -- JSON of the view's settings
  PRIMARY KEY (backbone_id, view)
) STRICT;

INSERT INTO view_specs_new (backbone_id, view, kind, seed, input_size, params)
  SELECT backbone_id, view, kind, seed, input_size, params FROM view_specs;

DROP TABLE view_specs;
ALTER TABLE view_specs_new RENAME TO view_specs;
`;
