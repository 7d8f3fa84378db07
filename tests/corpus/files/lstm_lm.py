"""A word-level LSTM language model with tied embeddings, run on a toy corpus."""

import torch
import torch.nn as nn

TEXT = "the cat sat on the mat and the dog sat on the log while the cat ran".split()


def build_vocab(words):  # @hover words
    vocab = {w: i for i, w in enumerate(sorted(set(words)))}  # @hover vocab
    return vocab


def batchify(ids, batch_size):
    n = ids.size(0) // batch_size  # @hover n
    data = ids[: n * batch_size].view(batch_size, n).t().contiguous()  # @hover data
    return data


class LSTMLanguageModel(nn.Module):
    def __init__(self, vocab_size, emb_dim=24, hidden=24, layers=2, dropout=0.1):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(vocab_size, emb_dim)
        self.rnn = nn.LSTM(emb_dim, hidden, num_layers=layers, dropout=dropout)
        self.decoder = nn.Linear(hidden, vocab_size)
        self.decoder.weight = self.encoder.weight
        self.hidden, self.layers = hidden, layers

    def init_hidden(self, batch_size):  # @hover batch_size
        weight = next(self.parameters())
        shape = (self.layers, batch_size, self.hidden)
        return weight.new_zeros(shape), weight.new_zeros(shape)  # @hover shape

    def forward(self, tokens, state):  # @hover tokens, state
        emb = self.drop(self.encoder(tokens))  # @hover emb
        output, (h, c) = self.rnn(emb, state)  # @hover output, h, c
        output = self.drop(output)
        decoded = self.decoder(output)  # @hover decoded
        return decoded, (h, c)


def detach(state):
    return tuple(s.detach() for s in state)


if __name__ == "__main__":
    torch.manual_seed(0)
    vocab = build_vocab(TEXT)  # @hover vocab
    ids = torch.tensor([vocab[w] for w in TEXT], dtype=torch.long)  # @hover ids
    data = batchify(ids, batch_size=2)  # @hover data
    model = LSTMLanguageModel(len(vocab))
    state = model.init_hidden(2)  # @hover state
    criterion = nn.CrossEntropyLoss()
    bptt = 4
    for i in range(0, data.size(0) - 1, bptt):  # @hover i
        seq_len = min(bptt, data.size(0) - 1 - i)
        inputs = data[i : i + seq_len]  # @hover inputs
        targets = data[i + 1 : i + 1 + seq_len].reshape(-1)  # @hover targets
        state = detach(state)
        logits, state = model(inputs, state)  # @hover logits
        loss = criterion(logits.view(-1, len(vocab)), targets)  # @hover loss
    hidden = model.rnn.weight_hh_l0  # @hover model.rnn.weight_hh_l0
    print(loss.item(), hidden.shape)
