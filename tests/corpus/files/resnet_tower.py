"""ResNet-style bottleneck blocks stacked into a small tower with a classifier head."""

import torch
import torch.nn as nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        width = planes
        out_planes = planes * self.expansion  # @hover out_planes
        self.conv1 = nn.Conv2d(in_planes, width, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_planes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if stride != 1 or in_planes != out_planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_planes),
            )

    def forward(self, x):
        identity = self.shortcut(x)  # @hover identity
        out = self.relu(self.bn1(self.conv1(x)))  # @hover out
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))  # @hover out
        out += identity  # @hover out
        return self.relu(out)


class ResNetTower(nn.Module):
    def __init__(self, layers=(2, 2), num_classes=5):
        super().__init__()
        self.in_planes = 16
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
        )
        stages = []
        for i, blocks in enumerate(layers):  # @hover i, blocks
            stride = 1 if i == 0 else 2
            stages.append(self._make_stage(8 * 2**i, blocks, stride))  # @hover stages
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.in_planes, num_classes)

    def _make_stage(self, planes, blocks, stride):  # @hover planes, stride
        strides = [stride] + [1] * (blocks - 1)  # @hover strides
        stage = []
        for s in strides:
            stage.append(Bottleneck(self.in_planes, planes, s))
            self.in_planes = planes * Bottleneck.expansion  # @hover self.in_planes
        return nn.Sequential(*stage)

    def forward(self, x):
        h = self.stem(x)  # @hover h
        for stage in self.stages:  # @hover stage
            h = stage(h)  # @hover h
        h = torch.flatten(self.pool(h), 1)
        return self.fc(h)  # @hover h


if __name__ == "__main__":
    torch.manual_seed(0)
    model = ResNetTower()  # @hover model
    batch = torch.randn(4, 3, 32, 32)
    logits = model(batch)  # @hover logits
    conv = model.stages[1][0].conv2  # @hover model.stages[1][0].conv2
    w = model.stem[0].weight  # @hover model.stem[0].weight
    feats = model.stages(model.stem(batch))  # @hover feats
    print(logits.shape, feats.shape)
