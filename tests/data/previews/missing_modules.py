import torch
import wandb
from tqdm.auto import tqdm
import matplotlib.pyplot as plt
try:
    import flash_attn
    HAS = True
except ImportError:
    HAS = False
loader = [torch.ones(2, 3)] * 3
wandb.init(project="x")
for batch in tqdm(loader):
    y = batch * 2
plt.plot([1, 2])
flag = HAS
