"""Load the trained classifier from ckpt.pt and label a batch of images."""

import json

import torch
from model import Net, predict_classes

with open("config.json") as handle:
    config = json.load(handle)  # @hover config
labels = config["labels"]  # @hover labels


def load_model(path):  # @hover path
    checkpoint = torch.load(path, map_location="cpu")  # @hover checkpoint
    state = checkpoint["model"]  # @hover state
    net = Net(num_classes=checkpoint["classes"])
    net.load_state_dict(state)
    return net.eval()  # @hover net


def batch_of_images(n, size):  # @hover n
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(n, 1, size, size, generator=generator)  # @hover images
    return images


if __name__ == "__main__":
    net = load_model("ckpt.pt")  # @hover net
    conv_weight = net.conv.weight  # @hover net.conv.weight
    images = batch_of_images(config["batch_size"], config["image_size"])  # @hover images
    classes = predict_classes(net, images)  # @hover classes
    for label_id in classes.tolist():  # @hover label_id
        name = labels[label_id]  # @hover name
        print(name)
