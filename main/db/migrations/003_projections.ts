// 2-D maps of a backbone's plain embeddings (UMAP), computed once and reused by every run of it.
export const up = `
CREATE TABLE projections (
  backbone_id INTEGER PRIMARY KEY REFERENCES backbones(id) ON DELETE CASCADE,
  method      TEXT    NOT NULL,                 -- 'umap'
  params      TEXT    NOT NULL,                 -- JSON
  signature   TEXT    NOT NULL,                 -- which embeddings it was computed from (count, max image id)
  image_ids   BLOB    NOT NULL,                 -- int32[n], ascending
  coords      BLOB    NOT NULL,                 -- float32[n x 2], each axis scaled to 0..1
  created_at  INTEGER NOT NULL
) STRICT;
`;
