"""PyTorch's times for the workloads of `npm run bench`, for `npm run bench -- --torch`.

Run by bench/torch.ts as a child process (never a dependency of rxgrad or of its tests). One
thread (torch.set_num_threads(1)), float32, the same data sizes as the TypeScript benchmarks:

1. airfoil-sgd / airfoil-adam: linear regression on the 1503 airfoil rows (5 standardised
   features, loss mean((y_hat - y)^2) / 2), batch 10, SGD lr 0.05 / Adam lr 0.01; one step =
   forward, backward, optimizer.step(), loss.item(). ms per step over whole shuffled epochs.
2. online-logistic: logistic regression, 100 features, batch 1, test-then-train (predict with
   no_grad, then BCE-with-logits backward and an SGD step), on x ~ U(-1, 1). examples per second.
3. adam-1e3 ... adam-1e7: one Adam step (lr 1e-3, eps 1e-7) of one parameter of that many values
   with a fixed gradient. ms per update.
4. mlp: MLP 784-256-10 (ReLU, cross-entropy), batch 128, Adam lr 1e-3. ms per step.

Each figure is the median of `rounds` rounds (argv[2], default 7). Prints one JSON object:
{"torch": version, "threads": 1, "figures": {name: number}}.
"""
import json
import os
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 7


def median_of(run, rounds=ROUNDS):
    run()  # warm-up
    return statistics.median(run() for _ in range(rounds))


def timed_per(count, body):
    """Run body() count times; milliseconds per call."""
    t0 = time.perf_counter()
    for _ in range(count):
        body()
    return (time.perf_counter() - t0) * 1000 / count


def airfoil(make_optimizer):
    path = os.path.join(os.path.dirname(__file__), '..', 'data', 'airfoil_self_noise.dat')
    data = torch.tensor([[float(v) for v in line.split()] for line in open(path) if line.strip()])
    data = (data - data.mean(0)) / data.std(0)
    xs, ys = data[:, :5].contiguous(), data[:, 5:].contiguous()
    w = torch.zeros(5, 1).normal_(0, 0.01).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    opt = make_optimizer([w, b])
    n = xs.shape[0]

    def epoch():
        order = torch.randperm(n)
        steps = n // 10
        t0 = time.perf_counter()
        for s in range(steps):
            idx = order[s * 10:(s + 1) * 10]
            x, y = xs[idx], ys[idx]
            opt.zero_grad()
            loss = ((x @ w + b - y) ** 2).mean() / 2
            loss.backward()
            opt.step()
            loss.item()
        return (time.perf_counter() - t0) * 1000 / steps

    return median_of(epoch)


def online_logistic(d=100, n=2000):
    xs = torch.rand(n, d) * 2 - 1
    target = torch.rand(d) * 2 - 1
    ys = (xs @ target > 0).float().unsqueeze(1)
    model = torch.nn.Linear(d, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def run():
        right = 0
        t0 = time.perf_counter()
        for i in range(n):
            x, y = xs[i:i + 1], ys[i:i + 1]
            with torch.no_grad():
                right += int((model(x) > 0).item() == (y.item() > 0.5))
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        return (time.perf_counter() - t0) * 1000

    ms = median_of(run)
    return n / (ms / 1000)


def adam_update(size):
    x = torch.randn(int(size)).requires_grad_()
    x.grad = torch.randn(int(size))
    opt = torch.optim.Adam([x], lr=1e-3, eps=1e-7)
    k = max(1, round(2e5 / size))
    return median_of(lambda: timed_per(k, opt.step))


def mlp(steps=5):
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xs = torch.rand(128, 784)
    ys = torch.tensor([(i * 7) % 10 for i in range(128)])
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(net(xs), ys)
        loss.backward()
        opt.step()
        loss.item()

    return median_of(lambda: timed_per(steps, step))


def main():
    which = sys.argv[1].split(',') if len(sys.argv) > 1 and sys.argv[1] else ['airfoil', 'online', 'adam', 'mlp']
    figures = {}
    if 'airfoil' in which:
        figures['airfoil-sgd'] = airfoil(lambda p: torch.optim.SGD(p, lr=0.05))
        figures['airfoil-adam'] = airfoil(lambda p: torch.optim.Adam(p, lr=0.01))
    if 'online' in which:
        figures['online-logistic'] = online_logistic()
    if 'adam' in which:
        for size in (1e3, 1e4, 1e5, 1e6, 1e7):
            figures[f'adam-{size:.0e}'.replace('+0', '')] = adam_update(size)
    if 'mlp' in which:
        figures['mlp'] = mlp()
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'figures': figures}))


if __name__ == '__main__':
    main()
