"""Building blocks of a ConvNeXt-like network, meant to be imported (the file never runs them)."""

import torch
import torch.nn as nn


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channel axis of an NCHW tensor."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)  # @hover x
        x = super().forward(x)
        return x.permute(0, 3, 1, 2)


# torchpeek: ConvNeXtBlock(32)
class ConvNeXtBlock(nn.Module):
    def __init__(self, dim, expansion=4, layer_scale=1e-6):
        super().__init__()
        hidden = expansion * dim  # @hover hidden
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(hidden, dim)
        self.gamma = nn.Parameter(layer_scale * torch.ones(dim))

    # torchpeek: forward(torch.randn(2, 32, 14, 14))
    def forward(self, x):  # @hover x
        shortcut = x
        x = self.dwconv(x)  # @hover x
        x = x.permute(0, 2, 3, 1)  # @hover x
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))  # @hover x
        x = self.gamma * x
        return shortcut + x.permute(0, 3, 1, 2)  # @hover shortcut


class SqueezeExcite(nn.Module):
    def __init__(self, channels=24, reduction=4):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x):
        scale = self.pool(x)  # @hover scale
        scale = torch.sigmoid(self.fc2(torch.relu(self.fc1(scale))))  # @hover scale
        return x * scale


class Stage(nn.Module):
    def __init__(self, in_dim=16, out_dim=32, depth=2):
        super().__init__()
        self.down = nn.Sequential(LayerNorm2d(in_dim), nn.Conv2d(in_dim, out_dim, 2, stride=2))
        self.blocks = nn.Sequential(*[ConvNeXtBlock(out_dim) for _ in range(depth)])

    def forward(self, x):
        x = self.down(x)  # @hover x
        return self.blocks(x)


# torchpeek: stem_output(torch.randn(1, 3, 64, 64))
def stem_output(images, dim=16):  # @hover images
    stem = nn.Conv2d(3, dim, kernel_size=4, stride=4)
    feats = stem(images)  # @hover feats
    return feats
