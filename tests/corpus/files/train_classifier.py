"""Train a small CNN classifier on random images: argparse, warmup schedule, AMP scaler, main()."""

import argparse
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class NoisyShapes(Dataset):
    """Random images whose label is the brightest of four quadrants."""

    def __init__(self, n, size=16):
        generator = torch.Generator().manual_seed(0)
        self.images = torch.randn(n, 3, size, size, generator=generator)

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, index):  # @hover index
        image = self.images[index]  # @hover image
        h, w = image.shape[1] // 2, image.shape[2] // 2
        quadrants = image.unfold(1, h, h).unfold(2, w, w).mean(dim=(0, 3, 4))  # @hover quadrants
        return image, quadrants.flatten().argmax()


def get_args():
    parser = argparse.ArgumentParser(description="toy image classifier")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=3)
    return parser.parse_args()


def make_model(num_classes):  # @hover num_classes
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, num_classes),
    )


def warmup_cosine(optimizer, warmup, total):
    def lr_lambda(step):  # @hover step
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)  # @hover progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)


def train_one_epoch(model, loader, optimizer, scheduler, scaler, criterion):
    model.train()
    correct = 0
    for step, (images, labels) in enumerate(loader):  # @hover step, images, labels
        logits = model(images)  # @hover logits
        loss = criterion(logits, labels)  # @hover loss
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        correct += (logits.argmax(1) == labels).sum().item()  # @hover correct
        if step % 10 == 0:
            print(f"step {step}: loss {loss.item():.3f}")
    return correct / len(loader.dataset)


def main():
    args = get_args()  # @hover args
    torch.manual_seed(0)
    dataset = NoisyShapes(32)  # @hover dataset
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True)  # @hover loader
    model = make_model(num_classes=4)  # @hover model
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)  # @hover optimizer
    total = args.epochs * len(loader)  # @hover total
    scheduler = warmup_cosine(optimizer, args.warmup, total)  # @hover scheduler
    scaler = torch.amp.GradScaler("cpu", enabled=False)  # @hover scaler
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    for epoch in range(args.epochs):  # @hover epoch
        accuracy = train_one_epoch(model, loader, optimizer, scheduler, scaler, criterion)
        print(f"epoch {epoch}: accuracy {accuracy:.2f}, lr {scheduler.get_last_lr()[0]:.2e}")
    head = model[-1].weight  # @hover model[-1].weight
    return head.shape


if __name__ == "__main__":
    shape = main()  # @hover shape
    print(shape)
