import argparse

import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, 10)

    def forward(self, h):
        return self.fc(h)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dim", type=int, default=16)
    args = parser.parse_args()
    model = Head(args.dim)
    batch = torch.randn(3, args.dim)
    for step in range(1000):
        logits = model(batch)
    return logits


if __name__ == "__main__":
    main()
