"""AstroMAE in PyTorch, layer for layer the same as the reference ONNX graph (engine/model/reference-model.ts).

Same layer list, so the same 15,764,097 trainable parameters and 382,529,408 multiply-adds per galaxy. Like the
study's model, `forward` takes the list [image, magnitude]: image [B,5,32,32], magnitude [B,5] -> redshift [B,1].
The weights are random (torch's defaults under a fixed seed): a cost baseline, not a physical predictor.

    python3 bench/astromae_torch.py                      # prints {"parameters": ...} as JSON
    python3 bench/astromae_torch.py --checkpoint out.pt  # also pickles it wrapped in DataParallel, like the study
"""
import argparse
import json
import math

import torch
from torch import nn

EMBED, HEADS, DEPTH, MLP_HIDDEN, PATCHES = 192, 3, 12, 768, 64
BRANCH_OUT, MAG_HIDDEN = 1096, 1024


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.head_dim = EMBED // HEADS
        self.qkv = nn.Linear(EMBED, 3 * EMBED)
        self.proj = nn.Linear(EMBED, EMBED)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, HEADS, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(EMBED, eps=1e-6)
        self.attn = Attention()
        self.norm2 = nn.LayerNorm(EMBED, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(EMBED, MLP_HIDDEN), nn.GELU(), nn.Linear(MLP_HIDDEN, EMBED))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Conv2d(5, EMBED, kernel_size=4, stride=4)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, EMBED))
        self.pos_embed = nn.Parameter(torch.zeros(1, PATCHES + 1, EMBED))
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.Sequential(*[Block() for _ in range(DEPTH)])
        self.fc_norm = nn.LayerNorm(EMBED, eps=1e-6)
        self.fc = nn.Linear(EMBED, EMBED)
        self.head = nn.Sequential(nn.Linear(EMBED, BRANCH_OUT), nn.ReLU(), nn.Linear(BRANCH_OUT, BRANCH_OUT))

    def forward(self, image):
        x = self.patch_embed(image).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        x = self.blocks(x)
        x = self.fc_norm(x[:, 1:, :].mean(dim=1))
        return self.head(self.fc(x))


class ConvBnRelu(nn.Sequential):
    def __init__(self, cin, cout, k):
        super().__init__(nn.Conv2d(cin, cout, k, padding=(k - 1) // 2), nn.BatchNorm2d(cout), nn.ReLU())


class InceptionBlock(nn.Module):
    def __init__(self, cin, cout, with_five=True):
        super().__init__()
        self.b1x1 = ConvBnRelu(cin, cout, 1)
        self.b3x3 = nn.Sequential(ConvBnRelu(cin, cout, 1), ConvBnRelu(cout, cout, 3))
        self.b5x5 = nn.Sequential(ConvBnRelu(cin, cout, 1), ConvBnRelu(cout, cout, 5)) if with_five else None
        self.bpool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), ConvBnRelu(cin, cout, 1))

    def forward(self, x):
        branches = [self.b1x1(x), self.b3x3(x)]
        if self.b5x5 is not None:
            branches.append(self.b5x5(x))
        branches.append(self.bpool(x))
        return torch.cat(branches, dim=1)


class InceptionBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(5, 32, 1), nn.AvgPool2d(2),
            InceptionBlock(32, 16), InceptionBlock(64, 16), nn.AvgPool2d(2),
            InceptionBlock(64, 8), InceptionBlock(32, 8), nn.AvgPool2d(2),
            InceptionBlock(32, 4, with_five=False),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Linear(12 * 4 * 4, BRANCH_OUT), nn.ReLU(), nn.Linear(BRANCH_OUT, BRANCH_OUT))

    def forward(self, image):
        return self.head(self.features(image))


class MagnitudeBranch(nn.Sequential):
    def __init__(self):
        layers = [nn.Linear(5, MAG_HIDDEN)]
        for _ in range(4):
            layers += [nn.ReLU(), nn.Linear(MAG_HIDDEN, MAG_HIDDEN)]
        super().__init__(*layers)


class AstroMAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.vit = ViTBranch()
        self.inception = InceptionBranch()
        self.magnitude = MagnitudeBranch()
        self.head = nn.Sequential(nn.Linear(2 * BRANCH_OUT + MAG_HIDDEN, MAG_HIDDEN), nn.ReLU(), nn.Linear(MAG_HIDDEN, 1))

    def forward(self, inputs):
        image, magnitude = inputs
        joined = torch.cat([self.vit(image), self.inception(image), self.magnitude(magnitude)], dim=1)
        return self.head(joined)


def build_model(seed=20240611):
    torch.manual_seed(seed)
    return AstroMAE().eval()


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seed', type=int, default=20240611)
    parser.add_argument('--checkpoint', help='pickle the model, wrapped in DataParallel like the study, to this path')
    args = parser.parse_args()
    model = build_model(args.seed)
    if args.checkpoint:
        torch.save(nn.DataParallel(model), args.checkpoint)
    print(json.dumps({'parameters': count_parameters(model)}))


if __name__ == '__main__':
    # Re-import under the module's own name so a pickled checkpoint refers to astromae_torch.AstroMAE, not __main__.
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import astromae_torch

    astromae_torch.main()
