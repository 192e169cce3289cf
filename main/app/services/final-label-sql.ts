// The final label of an image in a run, as SQL: a person's correction wins over the cluster's name;
// an outlier has none. Aliases: a = assignments, c = corrections, n = cluster_names.
export const FINAL_LABEL_JOINS = `
  LEFT JOIN corrections c ON c.image_id = a.image_id
  LEFT JOIN cluster_names n ON n.run_id = a.run_id AND n.cluster = a.cluster`;

export const FINAL_LABEL = `(CASE WHEN c.image_id IS NOT NULL THEN c.class_name ELSE n.class_name END)`;
