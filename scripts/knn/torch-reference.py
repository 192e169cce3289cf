# The SPICE reference's k-NN on the same rows, for npm run bench:knn: torch.einsum for the similarity
# block, topk(k + 1) per row, blocks of --block rows, every core. Writes the neighbour indices (int32,
# n x (k + 1), self included) to --out and prints one JSON line with the seconds and thread count.
import argparse, json, time
import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument('--rows', required=True)
parser.add_argument('--k', type=int, required=True)
parser.add_argument('--block', type=int, default=1024)
parser.add_argument('--out', required=True)
args = parser.parse_args()

x = torch.from_numpy(np.load(args.rows))
n = x.shape[0]
indices = torch.empty((n, args.k + 1), dtype=torch.int32)
start = time.perf_counter()
for s in range(0, n, args.block):
    sims = torch.einsum('nd,md->nm', x[s:s + args.block], x)
    _, idx = sims.topk(args.k + 1, dim=1)
    indices[s:s + args.block] = idx.to(torch.int32)
seconds = time.perf_counter() - start
indices.numpy().tofile(args.out)
print(json.dumps({'seconds': seconds, 'threads': torch.get_num_threads(), 'torch': torch.__version__}))
