"""A small decoder-only transformer: causal self-attention, an MLP, and a GPT stack."""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    vocab_size: int = 96
    block_size: int = 16
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 32


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        self.n_head = config.n_head
        mask = torch.tril(torch.ones(config.block_size, config.block_size))
        self.register_buffer("mask", mask.view(1, 1, config.block_size, config.block_size))

    def forward(self, x):  # @hover x
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)  # @hover q, v
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # @hover k
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / (k.size(-1) ** 0.5)  # @hover att
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # @hover y
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)  # @hover y


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd)

    def forward(self, x):
        h = F.gelu(self.fc(x))  # @hover h
        return self.proj(h)


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))  # @hover x
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight  # @hover self.lm_head.weight
        self.apply(self._init_weights)

    def _init_weights(self, module):  # @hover module
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)  # @hover module.weight
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    @classmethod
    def from_sizes(cls, n_layer, n_embd):  # @hover n_embd
        return cls(GPTConfig(n_layer=n_layer, n_embd=n_embd))

    def heads_per_block(self):
        attn = self.blocks[0].attn  # @hover self.blocks[0].attn
        return attn.n_head

    def forward(self, idx, targets=None):  # @hover idx, targets
        b, t = idx.shape  # @hover t
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)  # @hover pos
        tok_emb = self.wte(idx)  # @hover tok_emb
        x = tok_emb + self.wpe(pos)
        for block in self.blocks:  # @hover block
            x = block(x)  # @hover x
        logits = self.lm_head(self.ln_f(x))  # @hover logits
        loss = None
        if targets is not None:
            flat = logits.view(-1, logits.size(-1))  # @hover flat
            loss = F.cross_entropy(flat, targets.view(-1))
        return logits, loss  # @hover loss


if __name__ == "__main__":
    torch.manual_seed(0)
    config = GPTConfig()  # @hover config
    model = GPT(config)  # @hover model
    small = GPT.from_sizes(n_layer=1, n_embd=16)  # @hover small
    first_attn = model.blocks[0].attn  # @hover model.blocks[0].attn
    idx = torch.randint(0, config.vocab_size, (4, config.block_size))  # @hover idx
    targets = torch.roll(idx, shifts=-1, dims=1)
    logits, loss = model(idx, targets)  # @hover logits, loss
    weight = model.lm_head.weight  # @hover model.lm_head.weight
    heads = model.heads_per_block()  # @hover heads
    print(logits.shape, float(loss))
