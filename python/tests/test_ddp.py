"""Data-parallel training: two processes (gloo backend, loopback) end an epoch with the same
memory, equal to one process's memory over the union of their batches, and the same loss."""

import os
import socket

import numpy as np
import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
import torch.multiprocessing as mp  # noqa: E402

import srldir.torch as st  # noqa: E402

CENTRES = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
DIM = 8


def batches(rank: int):
    """Rank r's two batches; bin 5 only ever appears on rank 1, bin 4 on neither."""
    g = torch.Generator().manual_seed(100 + rank)
    out = []
    for _ in range(2):
        h = torch.randn(10, DIM, generator=g, dtype=torch.float64)
        bins = torch.randint(0, 4, (10,), generator=g)
        if rank == 1:
            bins[0] = 5
        out.append((h, bins))
    return out


def probe():
    g = torch.Generator().manual_seed(7)
    return torch.randn(12, DIM, generator=g, dtype=torch.float64), torch.tensor(
        [0, 1, 2, 3, 5, 0, 1, 2, 3, 5, 0, 1])


def run_epochs(loss_fn, ranks):
    """Two epochs over the given ranks' batches; then the loss and gradient on a probe batch."""
    for _ in range(2):
        for r in ranks:
            for h, bins in batches(r):
                loss_fn(h.clone().requires_grad_(), bins)
        loss_fn.end_epoch()
    h, bins = probe()
    h.requires_grad_()
    loss_fn.eval()
    value = loss_fn(h, bins)
    value.backward()
    return {
        "memory": loss_fn.memory.numpy().copy(),
        "seen": loss_fn.seen.numpy().copy(),
        "loss": value.item(),
        "grad": h.grad.numpy().copy(),
    }


def worker(rank, world, port, out_dir):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        loss_fn = st.SRLLoss(CENTRES, DIM, warmup_epochs=0, seed=3).double()
        result = run_epochs(loss_fn, [rank])
        np.savez(os.path.join(out_dir, f"rank{rank}.npz"), **result)
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                    reason="torch.distributed with gloo unavailable")
def test_two_ranks_hold_the_memory_of_the_union(tmp_path):
    mp.spawn(worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    ranks = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(2)]
    single = run_epochs(st.SRLLoss(CENTRES, DIM, warmup_epochs=0, seed=3).double(), [0, 1])
    for r in ranks:
        # The sums are added in another order: equal to rounding.
        np.testing.assert_allclose(r["memory"], single["memory"], rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(r["seen"], single["seen"])
        assert r["loss"] == pytest.approx(single["loss"], rel=1e-12)
        np.testing.assert_allclose(r["grad"], single["grad"], rtol=1e-10, atol=1e-14)
    # Bin 5 was only on rank 1, yet rank 0 knows it; bin 4 nobody saw.
    assert ranks[0]["seen"].tolist() == [True, True, True, True, False, True]
    assert np.abs(ranks[0]["memory"][5]).sum() > 0
    # Without the all-reduce, rank 0 would not have bin 5: the test can fail.
    alone = run_epochs(st.SRLLoss(CENTRES, DIM, warmup_epochs=0, seed=3).double(), [0])
    assert not alone["seen"][5]
