"""Write ckpt.pt, the small checkpoint predict.py reads (rerun after changing Net)."""

import torch
from model import Net

if __name__ == "__main__":
    torch.manual_seed(0)
    net = Net()
    torch.save({"model": net.state_dict(), "epoch": 3, "classes": 10}, "ckpt.pt")
