"""A two-level U-Net: an encoder that halves the resolution, a decoder that concatenates skips."""

import torch
import torch.nn as nn
import torch.nn.functional as F


def double_conv(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class Down(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.conv = double_conv(in_ch, out_ch)

    def forward(self, x):
        return self.conv(self.pool(x))  # @hover x


class Up(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_ch, in_ch // 2, kernel_size=2, stride=2)
        self.conv = double_conv(in_ch, out_ch)

    def forward(self, x, skip):  # @hover x, skip
        x = self.up(x)  # @hover x
        dy = skip.size(2) - x.size(2)
        dx = skip.size(3) - x.size(3)
        x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        merged = torch.cat([skip, x], dim=1)  # @hover merged
        return self.conv(merged)


class UNet(nn.Module):
    def __init__(self, in_channels=1, n_classes=2, base=8):
        super().__init__()
        self.inc = double_conv(in_channels, base)
        self.down1 = Down(base, base * 2)
        self.down2 = Down(base * 2, base * 4)
        self.up1 = Up(base * 4, base * 2)
        self.up2 = Up(base * 2, base)
        self.outc = nn.Conv2d(base, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)  # @hover x1
        x2 = self.down1(x1)  # @hover x2
        x3 = self.down2(x2)  # @hover x3
        x = self.up1(x3, x2)  # @hover x
        x = self.up2(x, x1)
        logits = self.outc(x)  # @hover logits
        return logits


def dice_score(logits, target, eps=1e-6):  # @hover target
    pred = logits.argmax(dim=1)  # @hover pred
    inter = (pred == target).float().sum()
    return (2 * inter + eps) / (pred.numel() + target.numel() + eps)


if __name__ == "__main__":
    torch.manual_seed(0)
    net = UNet()
    image = torch.randn(2, 1, 28, 28)  # @hover image
    mask = torch.randint(0, 2, (2, 28, 28))  # @hover mask
    out = net(image)  # @hover out
    first_conv = net.inc[0].weight  # @hover net.inc[0].weight
    score = dice_score(out, mask)  # @hover score
    print(out.shape, score.item())
