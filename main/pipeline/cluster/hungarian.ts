// The Hungarian algorithm (Kuhn-Munkres with row/column potentials and shortest augmenting paths),
// O(r^2 c) for an r x c matrix with r <= c; a taller matrix is solved transposed.

export interface Matching {
  /** Column matched to each row, -1 where the row stays unmatched (only when rows > columns). */
  rowToCol: Int32Array;
  /** Row matched to each column, -1 where the column stays unmatched. */
  colToRow: Int32Array;
  /** Sum of the matched cells of the input matrix. */
  total: number;
}

/** A minimum-cost matching of min(rows, cols) pairs, every row or every column used once. */
export function minCostAssignment(cost: readonly (readonly number[])[]): Matching {
  const rows = cost.length;
  const cols = rows === 0 ? 0 : cost[0].length;
  for (const row of cost) {
    if (row.length !== cols) throw new Error('cost matrix rows differ in length');
    for (const v of row) if (!Number.isFinite(v)) throw new Error('cost matrix holds a non-finite value');
  }
  const rowToCol = new Int32Array(rows).fill(-1);
  const colToRow = new Int32Array(cols).fill(-1);
  if (rows === 0 || cols === 0) return { rowToCol, colToRow, total: 0 };
  if (rows <= cols) {
    const match = solve(rows, cols, (i, j) => cost[i][j]);
    for (let i = 0; i < rows; i++) {
      rowToCol[i] = match[i];
      colToRow[match[i]] = i;
    }
  } else {
    const match = solve(cols, rows, (i, j) => cost[j][i]);
    for (let j = 0; j < cols; j++) {
      colToRow[j] = match[j];
      rowToCol[match[j]] = j;
    }
  }
  let total = 0;
  for (let i = 0; i < rows; i++) if (rowToCol[i] >= 0) total += cost[i][rowToCol[i]];
  return { rowToCol, colToRow, total };
}

/** A maximum-weight matching (e.g. of a contingency table: the most images agreeing). */
export function maxWeightAssignment(weight: readonly (readonly number[])[]): Matching {
  let max = 0;
  for (const row of weight) for (const v of row) if (v > max) max = v;
  const { rowToCol, colToRow } = minCostAssignment(weight.map((row) => row.map((v) => max - v)));
  let total = 0;
  for (let i = 0; i < weight.length; i++) if (rowToCol[i] >= 0) total += weight[i][rowToCol[i]];
  return { rowToCol, colToRow, total };
}

/**
 * n <= m. Returns the column of each row. Potentials u (rows) and v (columns) keep reduced costs
 * c(i,j) - u(i) - v(j) >= 0; each row is added by growing a shortest-path tree (Dijkstra on reduced
 * costs) until it reaches a free column, then the path is flipped.
 */
function solve(n: number, m: number, c: (i: number, j: number) => number): Int32Array {
  // 1-based with a virtual column 0 holding the row being inserted.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row matched to column j (0 = free)
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = c(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const match = new Int32Array(n);
  for (let j = 1; j <= m; j++) if (p[j] !== 0) match[p[j] - 1] = j - 1;
  return match;
}
