"""Vision-transformer front end: patchify with a strided conv, add a class token and positions."""

import torch
from torch import nn


class PatchEmbedding(nn.Module):
    """Cuts an image into non-overlapping patches and projects each one to ``dim``."""

    def __init__(self, image_size=32, patch_size=8, in_chans=3, dim=48):
        super().__init__()
        self.grid = image_size // patch_size  # @hover self.grid
        self.num_patches = self.grid * self.grid
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.num_patches + 1, dim))

    def forward(self, images):
        batch = images.shape[0]  # @hover batch
        patches = self.proj(images)  # @hover patches
        patches = patches.flatten(2).transpose(1, 2)  # @hover patches
        cls = self.cls_token.expand(batch, -1, -1)  # @hover cls
        tokens = torch.cat([cls, patches], dim=1)  # @hover tokens
        return tokens + self.pos_embed  # @hover self.pos_embed


class TinyViT(nn.Module):
    def __init__(self, num_classes=10, dim=48, depth=2, heads=4):
        super().__init__()
        self.embed = PatchEmbedding(dim=dim)
        layer = nn.TransformerEncoderLayer(
            d_model=dim, nhead=heads, dim_feedforward=2 * dim, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=depth)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, images):
        tokens = self.embed(images)
        encoded = self.encoder(tokens)  # @hover encoded
        cls_out = self.norm(encoded[:, 0])  # @hover cls_out
        return self.head(cls_out)


def count_parameters(model):  # @hover model
    total = sum(p.numel() for p in model.parameters())  # @hover total
    return total


if __name__ == "__main__":
    torch.manual_seed(0)
    vit = TinyViT().eval()
    images = torch.randn(2, 3, 32, 32)  # @hover images
    with torch.no_grad():
        scores = vit(images)  # @hover scores
    probs = scores.softmax(dim=-1)  # @hover probs
    cls_token = vit.embed.cls_token  # @hover vit.embed.cls_token
    n_params = count_parameters(vit)  # @hover n_params
    print(probs.argmax(dim=-1), n_params)
