"""Reusable layers for sequence models; a library module that nothing in this file calls."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class TokenTagger(nn.Module):
    """Embedding, a bidirectional LSTM and a per-token classifier."""

    def __init__(self, vocab_size=1000, dim=32, hidden=48, num_tags=7):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, num_tags)

    def forward(self, tokens):
        emb = self.embed(tokens)  # @hover emb
        out, _ = self.lstm(emb)  # @hover out
        return self.proj(out)


class AudioEncoder(nn.Module):
    def __init__(self, n_mels=40, channels=64, layers=3):
        super().__init__()
        convs = []
        for i in range(layers):
            convs.append(nn.Conv1d(n_mels if i == 0 else channels, channels, 3, padding=1))
        self.convs = nn.ModuleList(convs)

    def forward(self, mel):
        h = mel
        for conv in self.convs:
            h = F.gelu(conv(h))  # @hover h
        return h.transpose(1, 2)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.d_k = d_model // num_heads
        self.h = num_heads
        self.linears = nn.ModuleList([nn.Linear(d_model, d_model) for _ in range(4)])

    def forward(self, query, key, value, mask=None):
        batch = query.size(0)
        q, k, v = [  # @hover q
            lin(x).view(batch, -1, self.h, self.d_k).transpose(1, 2)
            for lin, x in zip(self.linears, (query, key, value), strict=False)
        ]
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)  # @hover scores
        if mask is not None:
            scores = scores.masked_fill(mask == 0, -1e9)
        attn = scores.softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).contiguous().view(batch, -1, self.h * self.d_k)
        return self.linears[-1](out)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model=32, max_len=64, dropout=0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)  # @hover pe
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        x = x + self.pe[:, : x.size(1)]  # @hover x
        return self.dropout(x)
