"""A DETR-style detector head: sine position encoding, a transformer over a CNN feature map, box MLP."""

import math

import torch
import torch.nn.functional as F
from torch import nn


class PositionEmbeddingSine(nn.Module):
    def __init__(self, num_pos_feats: int = 16, temperature: int = 10000):
        super().__init__()
        self.num_pos_feats = num_pos_feats
        self.temperature = temperature
        self.scale = 2 * math.pi

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,  # @hover mask
    ) -> torch.Tensor:
        if mask is None:
            mask = torch.zeros(x.shape[0], x.shape[2], x.shape[3], dtype=torch.bool)
        not_mask = ~mask  # @hover not_mask
        y_embed = not_mask.cumsum(1, dtype=torch.float32)
        x_embed = not_mask.cumsum(2, dtype=torch.float32)  # @hover x_embed
        y_embed = y_embed / (y_embed[:, -1:, :] + 1e-6) * self.scale
        x_embed = x_embed / (x_embed[:, :, -1:] + 1e-6) * self.scale
        dim_t = torch.arange(self.num_pos_feats, dtype=torch.float32)
        dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_pos_feats)  # @hover dim_t
        pos_x = x_embed[:, :, :, None] / dim_t
        pos_y = y_embed[:, :, :, None] / dim_t
        pos_x = torch.stack(
            (pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()),  # @hover pos_x
            dim=4,
        ).flatten(3)
        pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4)
        pos = torch.cat((pos_y.flatten(3), pos_x), dim=3).permute(0, 3, 1, 2)  # @hover pos
        return pos


class MLP(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, num_layers):
        super().__init__()
        self.num_layers = num_layers
        h = [hidden_dim] * (num_layers - 1)
        self.layers = nn.ModuleList(
            nn.Linear(n, k) for n, k in zip([input_dim] + h, h + [output_dim], strict=True)
        )

    def forward(self, x):
        for i, layer in enumerate(self.layers):  # @hover layer
            x = F.relu(layer(x)) if i < self.num_layers - 1 else layer(x)  # @hover x
        return x


class DETRHead(nn.Module):
    def __init__(self, num_classes=5, hidden_dim=32, num_queries=10, backbone_channels=24):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, backbone_channels, 3, stride=2, padding=1), nn.ReLU()
        )
        self.input_proj = nn.Conv2d(backbone_channels, hidden_dim, kernel_size=1)
        self.position = PositionEmbeddingSine(hidden_dim // 2)
        self.transformer = nn.Transformer(
            d_model=hidden_dim,
            nhead=4,
            num_encoder_layers=1,
            num_decoder_layers=1,
            dim_feedforward=64,
            batch_first=True,
        )
        self.query_embed = nn.Embedding(num_queries, hidden_dim)
        self.class_embed = nn.Linear(hidden_dim, num_classes + 1)
        self.bbox_embed = MLP(hidden_dim, hidden_dim, 4, 3)

    def forward(self, images):
        features = self.backbone(images)  # @hover features
        src = self.input_proj(features)
        pos = self.position(src)
        bs = src.shape[0]
        memory_in = (src + pos).flatten(2).transpose(1, 2)  # @hover memory_in
        queries = self.query_embed.weight.unsqueeze(0).repeat(bs, 1, 1)  # @hover queries
        hs = self.transformer(memory_in, queries)  # @hover hs
        return {
            "pred_logits": self.class_embed(hs),
            "pred_boxes": self.bbox_embed(hs).sigmoid(),  # @hover hs
        }


if __name__ == "__main__":
    torch.manual_seed(0)
    detr = DETRHead().eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        outputs = detr(images)  # @hover outputs
    logits = outputs["pred_logits"]  # @hover logits
    boxes = outputs["pred_boxes"]  # @hover boxes
    queries = detr.query_embed.weight  # @hover detr.query_embed.weight
    print(logits.shape, boxes.shape)
