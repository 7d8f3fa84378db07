"""Fit a small MLP to a noisy sine with AdamW, a cosine schedule and a DataLoader, 300 epochs."""

import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

EPOCHS = 300
xs = torch.linspace(-math.pi, math.pi, 64).unsqueeze(1)  # @hover xs
ys = torch.sin(xs) + 0.05 * torch.randn_like(xs)
dataset = TensorDataset(xs, ys)  # @hover dataset
loader = DataLoader(dataset, batch_size=16, shuffle=True, num_workers=2)  # @hover loader

model = nn.Sequential(
    nn.Linear(1, 32),
    nn.Tanh(),
    nn.Linear(32, 32),
    nn.Tanh(),
    nn.Linear(32, 1),
).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)  # @hover optimizer
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)  # @hover scheduler
loss_fn = nn.MSELoss()
first_weight = model[0].weight  # @hover model[0].weight


def evaluate(net, inputs, targets):  # @hover net, inputs
    net.eval()
    with torch.no_grad():
        preds = net(inputs)  # @hover preds
        error = loss_fn(preds, targets)  # @hover error
    net.train()
    return error.item()


history = []
for epoch in range(EPOCHS):  # @hover epoch
    running = 0.0
    for xb, yb in loader:  # @hover xb, yb
        xb, yb = xb.to(device), yb.to(device)
        pred = model(xb)  # @hover pred
        loss = loss_fn(pred, yb)  # @hover loss
        optimizer.zero_grad()
        loss.backward()
        grad = model[0].weight.grad  # @hover model[0].weight.grad
        optimizer.step()
        running += loss.item() * xb.size(0)  # @hover running
    scheduler.step()
    epoch_loss = running / len(dataset)  # @hover epoch_loss
    history.append(epoch_loss)
    if epoch % 100 == 0:
        val = evaluate(model, xs.to(device), ys.to(device))  # @hover val
        print(f"epoch {epoch}: loss {epoch_loss:.4f}, val {val:.4f}")

final = evaluate(model, xs.to(device), ys.to(device))
lrs = [group["lr"] for group in optimizer.param_groups]
print(f"final mse {final:.4f}, lr {lrs[0]:.2e}, epochs {len(history)}")
