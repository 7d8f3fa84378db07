"""A LLaMA-flavoured decoder: RMSNorm, rotary position embeddings, SwiGLU and fused attention."""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelArgs:
    dim: int = 64
    n_layers: int = 2
    n_heads: int = 4
    vocab_size: int = 128
    max_seq_len: int = 32


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)  # @hover rms
        return x * rms * self.weight


def precompute_freqs_cis(head_dim: int, end: int, theta: float = 10000.0) -> torch.Tensor:
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))  # @hover freqs
    t = torch.arange(end, dtype=torch.float32)
    angles = torch.outer(t, freqs)  # @hover angles
    return torch.polar(torch.ones_like(angles), angles)


def apply_rotary(xq: torch.Tensor, freqs_cis: torch.Tensor) -> torch.Tensor:  # @hover freqs_cis
    pairs = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))  # @hover pairs
    rotated = pairs * freqs_cis.view(1, xq.size(1), 1, -1)
    return torch.view_as_real(rotated).flatten(3).type_as(xq)


class Attention(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.n_heads = args.n_heads
        self.head_dim = args.dim // args.n_heads
        self.wq = nn.Linear(args.dim, args.dim, bias=False)
        self.wk = nn.Linear(args.dim, args.dim, bias=False)
        self.wv = nn.Linear(args.dim, args.dim, bias=False)
        self.wo = nn.Linear(args.dim, args.dim, bias=False)

    def forward(self, x, freqs_cis):
        bsz, seqlen, _ = x.shape
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim)  # @hover xq
        xk = self.wk(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xv = self.wv(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xq, xk = apply_rotary(xq, freqs_cis), apply_rotary(xk, freqs_cis)  # @hover xq
        q, k, v = (t.transpose(1, 2) for t in (xq, xk, xv))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # @hover out
        return self.wo(out.transpose(1, 2).reshape(bsz, seqlen, -1))


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x):
        gated = F.silu(self.w1(x)) * self.w3(x)  # @hover gated
        return self.w2(gated)


class Transformer(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.tok_embeddings = nn.Embedding(args.vocab_size, args.dim)
        self.layers = nn.ModuleList()
        for _ in range(args.n_layers):
            self.layers.append(
                nn.ModuleDict(
                    {
                        "attention_norm": RMSNorm(args.dim),
                        "attention": Attention(args),
                        "ffn_norm": RMSNorm(args.dim),
                        "feed_forward": FeedForward(args.dim, 4 * args.dim),
                    }
                )
            )
        self.norm = RMSNorm(args.dim)
        self.output = nn.Linear(args.dim, args.vocab_size, bias=False)
        freqs = precompute_freqs_cis(args.dim // args.n_heads, args.max_seq_len)
        self.register_buffer("freqs_cis", freqs, persistent=False)

    def forward(self, tokens):
        h = self.tok_embeddings(tokens)
        freqs_cis = self.freqs_cis[: tokens.size(1)]  # @hover freqs_cis
        for layer in self.layers:  # @hover layer
            h = h + layer["attention"](layer["attention_norm"](h), freqs_cis)  # @hover h
            h = h + layer["feed_forward"](layer["ffn_norm"](h))
        return self.output(self.norm(h)).float()


@torch.no_grad()
def generate(model, prompt, max_new_tokens, temperature=0.8, top_k=20):  # @hover prompt
    tokens = prompt
    for _ in range(max_new_tokens):
        logits = model(tokens)[:, -1, :] / temperature  # @hover logits
        values, _ = torch.topk(logits, top_k)  # @hover values
        logits[logits < values[:, [-1]]] = -float("inf")
        probs = F.softmax(logits, dim=-1)  # @hover probs
        next_token = torch.multinomial(probs, num_samples=1)  # @hover next_token
        tokens = torch.cat([tokens, next_token], dim=1)
    return tokens  # @hover tokens


if __name__ == "__main__":
    torch.manual_seed(0)
    args = ModelArgs()
    model = Transformer(args).eval()  # @hover model
    prompt = torch.randint(0, args.vocab_size, (2, 5))
    out = generate(model, prompt, max_new_tokens=6)  # @hover out
    print(out.shape)
