"""functional.knn against a float64 brute force: block-min prefilter path and plain path."""
import pytest
import torch

from multiaug.tabular import functional as F

# tile_columns=64 forces the block-min path on a few hundred rows (it needs n >= 64 * (k + 1))
PATHS = [dict(tile_columns=64, chunk_size=50), dict(tile_columns=192, chunk_size=77), dict(tile_columns=10**9)]


def _brute(ref, q, exclude_self):
    d = torch.cdist(q.double(), ref.double()) ** 2
    if exclude_self:
        d[torch.arange(len(q)), torch.arange(len(q))] = float("inf")
    return d


def _check(ref, q, k, exclude_self, **kw):
    dist, idx = F.knn(ref, k, query=q, exclude_self=exclude_self, **kw)
    full = _brute(ref, ref if q is None else q, exclude_self)
    want = full.sort(1).values[:, :k]
    assert idx.shape == (full.shape[0], k)
    # distances: the true k smallest (sorted); indices: distinct, each at its claimed distance
    torch.testing.assert_close(dist.double(), want, atol=1e-3, rtol=1e-4)
    torch.testing.assert_close(full.gather(1, idx), want, atol=1e-3, rtol=1e-4)
    assert (idx.sort(1).values.diff(dim=1) > 0).all()
    if exclude_self:
        assert not (idx == torch.arange(full.shape[0])[:, None]).any()
    return idx


@pytest.mark.parametrize("kw", PATHS)
@pytest.mark.parametrize("n,d,k,seed", [(700, 5, 1, 0), (777, 50, 8, 1), (1000, 3, 7, 2)])
def test_knn_matches_brute_force(kw, n, d, k, seed):
    x = torch.randn(n, d, generator=torch.Generator().manual_seed(seed))
    idx = _check(x, None, k, True, **kw)
    # generic data (no ties): exactly the brute-force neighbour sets
    full = _brute(x, x, True)
    assert torch.equal(idx.sort(1).values, full.topk(k, largest=False).indices.sort(1).values)


@pytest.mark.parametrize("kw", PATHS)
def test_knn_ties_and_duplicates(kw):
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 3, (640, 4), generator=g).float()  # 81 distinct rows: many exact ties
    _check(x, None, 5, True, **kw)
    _check(x, None, 9, False, **kw)


@pytest.mark.parametrize("kw", PATHS)
def test_knn_query_differs_from_ref(kw):
    g = torch.Generator().manual_seed(4)
    ref, q = torch.randn(900, 6, generator=g), torch.randn(130, 6, generator=g)
    _check(ref, q, 9, False, **kw)
    _check(ref, ref[:130], 4, True, **kw)  # exclude_self with an explicit query: row i is ref row i


def test_knn_k_is_n_minus_one():
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(5))
    idx = _check(x, None, 39, True)
    assert (idx.sort(1).values == torch.stack([torch.cat([torch.arange(i), torch.arange(i + 1, 40)]) for i in range(40)])).all()


def test_knn_paths_agree_on_larger_table():
    x = torch.randn(3000, 20, generator=torch.Generator().manual_seed(6))
    a = F.knn(x, 16, tile_columns=512)[1].sort(1).values
    b = F.knn(x, 16, tile_columns=10**9)[1].sort(1).values
    assert torch.equal(a, b)



@pytest.mark.parametrize("kw", PATHS)
def test_knn_columns_with_a_large_offset_keep_their_neighbours(kw):
    # |r|^2 - 2 q.r in float32 on columns around 1e8 lost the digits that tell neighbours apart
    # (wrong neighbours, distances off by ~50%): the rows are centred first, distances being shift-free
    g = torch.Generator().manual_seed(8)
    x = torch.randn(640, 3, generator=g, dtype=torch.float64) * 1e3 + 1e8
    q = x[:64] + torch.randn(64, 3, generator=g, dtype=torch.float64)
    dist, idx = F.knn(x, 4, **kw)
    full = _brute(x, x, True)
    want = full.sort(1).values[:, :4]
    torch.testing.assert_close(full.gather(1, idx), want, rtol=1e-3, atol=1.0)
    # the distances to float32 precision of the spread (|r - mean|^2 ~ 3e6), not of the offset (3e16)
    torch.testing.assert_close(dist.double(), want, rtol=1e-3, atol=32.0)
    dq, iq = F.knn(x, 3, query=q, exclude_self=False, **kw)
    fq = _brute(x, q, False)
    torch.testing.assert_close(fq.gather(1, iq), fq.sort(1).values[:, :3], rtol=1e-3, atol=1.0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_knn_cuda_matches_cpu():
    x = torch.randn(2000, 10, generator=torch.Generator().manual_seed(7))
    a = F.knn(x, 8, tile_columns=256)[1].sort(1).values
    b = F.knn(x.cuda(), 8, tile_columns=256)[1].cpu().sort(1).values
    assert torch.equal(a, b)
