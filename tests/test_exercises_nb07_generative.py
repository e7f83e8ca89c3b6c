"""The checks of notebook 07's exercises accept right answers and explain each typical mistake."""

import doctest

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from course_utils.checks import CheckFailed
from course_utils.exercises import nb07_generative as gen


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_doctests_pass():
    assert doctest.testmod(gen).failed == 0


def test_reference_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(1)
    mu_q, logvar_q, mu_p, logvar_p = (torch.randn(6, 4, generator=g) for _ in range(4))
    oracle = kl_divergence(Normal(mu_q, (0.5 * logvar_q).exp()), Normal(mu_p, (0.5 * logvar_p).exp())).sum(-1)
    assert torch.allclose(gen.reference_kl_divergence_gaussians(mu_q, logvar_q, mu_p, logvar_p), oracle, atol=1e-5)


def test_kl_check_accepts_the_formula_written_another_way(capsys):
    gen.check_kl_divergence_gaussians(gen.reference_kl_divergence_gaussians)
    gen.check_kl_divergence_gaussians(lambda mq, lq, mp, lp: kl_divergence(
        Normal(mq, (0.5 * lq).exp()), Normal(mp, (0.5 * lp).exp())).sum(-1))
    assert capsys.readouterr().out.count("✅ kl_divergence_gaussians is correct") == 2


def kl_terms(mq, lq, mp, lp):
    """The right formula, per dimension (not yet summed)."""
    return 0.5 * (lp - lq + (lq.exp() + (mq - mp) ** 2) / lp.exp() - 1)


@pytest.mark.parametrize("wrong, message", [
    (stub, "not written yet"),
    (lambda mq, lq, mp, lp: kl_terms(mq, lq, mp, lp).sum().item(), "should return a tensor"),
    (kl_terms, "one value per latent dimension"),
    (lambda mq, lq, mp, lp: kl_terms(mq, lq, mp, lp).sum(), "expected \\(4,\\)"),
    (lambda mq, lq, mp, lp: kl_terms(mp, lp, mq, lq).sum(-1), "KL is not symmetric"),
    (lambda mq, lq, mp, lp: 2 * kl_terms(mq, lq, mp, lp).sum(-1), "factor ½"),
    (lambda mq, lq, mp, lp: kl_terms(mq, lq, mp, lp).mean(-1), "SUM"),
    (lambda mq, lq, mp, lp: kl_terms(mq, lq, mp, lp).sum(-1) + 0.5, "two identical Gaussians"),
    # σ used where σ² belongs: zero for identical Gaussians, wrong elsewhere
    (lambda mq, lq, mp, lp: 0.5 * (lp - lq + ((0.5 * lq).exp() + (mq - mp) ** 2) / (0.5 * lp).exp() - 1).sum(-1),
     "wrong in row"),
])
def test_kl_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        gen.check_kl_divergence_gaussians(wrong)


def test_reparameterise_check_accepts_the_formula_written_another_way(capsys):
    gen.check_reparameterise(gen.reference_reparameterise)
    gen.check_reparameterise(lambda mu, logvar, eps: mu + logvar.mul(0.5).exp() * eps)
    gen.check_reparameterise(lambda mu, logvar, eps: torch.addcmul(mu, torch.sqrt(torch.exp(logvar)), eps))
    assert capsys.readouterr().out.count("✅ reparameterise is correct") == 3


@pytest.mark.parametrize("wrong, message", [
    (stub, "not written yet"),
    (lambda mu, logvar, eps: (mu + (0.5 * logvar).exp() * eps).tolist(), "should return a tensor"),
    (lambda mu, logvar, eps: (mu + (0.5 * logvar).exp() * eps).sum(-1), "the shape of mu"),
    (lambda mu, logvar, eps: mu + (0.5 * logvar).exp() * torch.randn_like(mu), "draws its own random numbers"),
    (lambda mu, logvar, eps: mu + logvar.exp() * eps, "the variance"),
    (lambda mu, logvar, eps: mu + logvar * eps, "wrong values"),
    (lambda mu, logvar, eps: (mu + (0.5 * logvar).exp() * eps).detach(), "no gradient flows"),
    (lambda mu, logvar, eps: mu + (0.5 * logvar.detach()).exp() * eps, "does not reach logvar"),
    (lambda mu, logvar, eps: mu.detach() + (0.5 * logvar).exp() * eps, "does not reach mu"),
])
def test_reparameterise_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        gen.check_reparameterise(wrong)
