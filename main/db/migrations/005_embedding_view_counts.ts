// Counting stored vectors per (backbone, view) walked every leaf of the embeddings table (its rows carry
// 4 KB vectors): ~0.3 s at 10,000 images x 9 views, paid on every project open. This small covering
// index answers the counts in milliseconds.
export const up = `
CREATE INDEX embeddings_view_counts ON embeddings(backbone_id, view);
`;
