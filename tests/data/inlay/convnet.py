"""A small CNN with a forward and a __main__ block (inlay hint and shape error tests)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 8 * 8, classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)
        h = F.max_pool2d(F.relu(self.conv2(x)), 2)
        flat = h.flatten(1)
        logits = self.fc(flat)
        return logits


if __name__ == "__main__":
    model = ConvNet()
    images = torch.randn(4, 3, 32, 32)
    labels = torch.randint(0, 10, (4,))
    out = model(images)
    loss = F.cross_entropy(out, labels)
    parts = out.split(2)
    top, index = out.max(dim=1)
