"""Train a small CNN classifier on random images: argparse, warmup schedule, AMP scaler, main()."""

import argparse
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


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
    images = torch.randn(32, 3, 16, 16)
    labels = torch.randint(0, 4, (32,))  # @hover labels
    loader = DataLoader(TensorDataset(images, labels), batch_size=args.batch_size, shuffle=True)
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
