"""Domain-adversarial training on toy data: forward hooks, a custom autograd Function, a while loop."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):  # @hover x, alpha
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):  # @hover grad_output
        return -ctx.alpha * grad_output, None


class Standardize:
    """A transform: per-channel standardisation of an image batch."""

    def __init__(self, eps=1e-5):
        self.eps = eps

    def __call__(self, images):  # @hover images
        mean = images.mean(dim=(0, 2, 3), keepdim=True)  # @hover mean
        std = images.std(dim=(0, 2, 3), keepdim=True)
        return (images - mean) / (std + self.eps)


def batches(images, labels, domains, batch_size):
    for start in range(0, images.shape[0], batch_size):  # @hover start
        stop = start + batch_size
        yield images[start:stop], labels[start:stop], domains[start:stop]  # @hover stop


features = {}


def save_output(name):
    def hook(module, inputs, output):  # @hover inputs, output
        features[name] = output.detach()
        return None

    return hook


encoder = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4))
classifier = nn.Linear(8 * 16, 3)
discriminator = nn.Sequential(nn.Linear(8 * 16, 16), nn.ReLU(), nn.Linear(16, 2))
encoder[0].register_forward_hook(save_output("conv"))
params = [*encoder.parameters(), *classifier.parameters(), *discriminator.parameters()]
optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)

torch.manual_seed(0)
transform = Standardize()
images = transform(torch.rand(24, 1, 12, 12))
labels = torch.randint(0, 3, (24,))
domains = (torch.arange(24) >= 12).long()
print(images.shape)  # @hover images.shape

step, max_steps = 0, 20
while step < max_steps:  # @hover step
    for x, y, d in batches(images, labels, domains, batch_size=8):  # @hover x, d
        z = encoder(x).flatten(1)  # @hover z
        conv = features["conv"]  # @hover conv
        reversed_z = GradientReversal.apply(z, 0.5)  # @hover reversed_z
        loss = F.cross_entropy(classifier(z), y) + F.cross_entropy(discriminator(reversed_z), d)
        optimizer.zero_grad()
        loss.backward()
        total_norm = nn.utils.clip_grad_norm_(params, max_norm=1.0)  # @hover total_norm
        optimizer.step()
        step += 1
print(f"{step} steps, last loss {loss.item():.3f}")
