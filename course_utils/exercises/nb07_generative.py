"""Checks for the exercises of notebook 07 (generative models: from autoencoder to VAE)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_utils.checks import CheckFailed, call_student, passed

__all__ = [
    "check_kl_divergence_gaussians", "check_reparameterise", "reference_kl_divergence_gaussians",
    "reference_reparameterise",
]


def reference_kl_divergence_gaussians(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor,
                                      logvar_p: torch.Tensor) -> torch.Tensor:
    """KL(q ‖ p) of two diagonal Gaussians given by means and log-variances, one value per row.

    Example:
        >>> zeros = torch.zeros(1, 2)
        >>> reference_kl_divergence_gaussians(torch.ones(1, 2), zeros, zeros, zeros)  # ½·(1² + 1²)
        tensor([1.])
    """
    ratio = torch.exp(logvar_q - logvar_p)
    return 0.5 * (logvar_p - logvar_q + ratio + (mu_q - mu_p) ** 2 / torch.exp(logvar_p) - 1).sum(dim=-1)


def _kl_case() -> tuple[torch.Tensor, ...]:
    """Four rows of three latent dimensions; the last row has q = p, so its KL is 0."""
    g = torch.Generator().manual_seed(6)
    mu_q, mu_p = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    logvar_q, logvar_p = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    mu_p[-1], logvar_p[-1] = mu_q[-1], logvar_q[-1]
    return mu_q, logvar_q, mu_p, logvar_p


def check_kl_divergence_gaussians(fn: Callable[..., torch.Tensor]) -> None:
    """Check a student's ``kl_divergence_gaussians(mu_q, logvar_q, mu_p, logvar_p)``.

    Example:
        >>> check_kl_divergence_gaussians(reference_kl_divergence_gaussians)
        ✅ kl_divergence_gaussians is correct (4 pairs of 3-D Gaussians, one of them identical)
    """
    name = "kl_divergence_gaussians"
    mu_q, logvar_q, mu_p, logvar_p = _kl_case()
    expected = reference_kl_divergence_gaussians(mu_q, logvar_q, mu_p, logvar_p)
    got = call_student(fn, mu_q.clone(), logvar_q.clone(), mu_p.clone(), logvar_p.clone(), name=name)
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"{name} should return a tensor with one KL per row, got {type(got).__name__}: "
                          "keep the torch operations and do not call .item().")
    if got.shape == mu_q.shape:
        raise CheckFailed(f"{name} returned shape {tuple(got.shape)}, one value per latent dimension: sum over "
                          "the latent dimensions (.sum(dim=-1)) to get one KL per row, shape (4,).")
    if got.shape != expected.shape:
        raise CheckFailed(f"{name} returned shape {tuple(got.shape)}, expected {tuple(expected.shape)}: one KL per "
                          "row. Sum over the latent dimensions only (dim=-1), not over the rows.")
    got = got.detach().double()

    def close(other: torch.Tensor) -> bool:
        return torch.allclose(got, other.double(), atol=1e-4, rtol=1e-4)

    if close(expected):
        passed(name, "4 pairs of 3-D Gaussians, one of them identical")
        return
    if close(reference_kl_divergence_gaussians(mu_p, logvar_p, mu_q, logvar_q)):
        raise CheckFailed(f"{name} computed KL(p ‖ q), the arguments swapped. KL is not symmetric: the first "
                          "Gaussian (mu_q, logvar_q) is the one we average over, log(σ_p/σ_q) + "
                          "(σ_q² + (μ_q − μ_p)²) / (2σ_p²) − ½.")
    if close(2 * expected):
        raise CheckFailed(f"{name} is twice the right value: every term of the formula carries a factor ½.")
    if close(expected / mu_q.shape[-1]):
        raise CheckFailed(f"{name} averaged over the latent dimensions: the KL of independent dimensions is "
                          "their SUM (.sum(dim=-1)).")
    if abs(got[-1].item()) > 1e-4:
        raise CheckFailed(f"{name} gives {got[-1].item():.4g} for two identical Gaussians, where the KL must be 0: "
                          "check the constant (− ½ per dimension) and that σ² = exp(logvar).")
    worst = int((got - expected.double()).abs().argmax())
    raise CheckFailed(f"{name} is wrong in row {worst}: got {got[worst].item():.4f}, expected "
                      f"{expected[worst].item():.4f}. Recall σ² = exp(logvar) (the variance, not σ) and "
                      "KL = log(σ_p/σ_q) + (σ_q² + (μ_q − μ_p)²) / (2σ_p²) − ½ per dimension.")


def reference_reparameterise(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = μ + σ·ε with σ = exp(½·logvar): a sample of N(μ, σ²) that gradients can flow through.

    Example:
        >>> reference_reparameterise(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([2.0]))
        tensor([3.])
    """
    return mu + torch.exp(0.5 * logvar) * eps


def check_reparameterise(fn: Callable[..., torch.Tensor]) -> None:
    """Check a student's ``reparameterise(mu, logvar, eps)``: values, shape, noise used, gradients.

    Example:
        >>> check_reparameterise(reference_reparameterise)
        ✅ reparameterise is correct (values for the ε given, and gradients reach μ and log σ²)
    """
    name = "reparameterise"
    g = torch.Generator().manual_seed(6)
    mu, logvar, eps = (torch.randn(5, 2, generator=g) for _ in range(3))
    mu.requires_grad_(True)
    logvar.requires_grad_(True)
    z = call_student(fn, mu, logvar, eps.clone(), name=name)
    if not isinstance(z, torch.Tensor):
        raise CheckFailed(f"{name} should return a tensor, got {type(z).__name__}.")
    if z.shape != mu.shape:
        raise CheckFailed(f"{name} returned shape {tuple(z.shape)}, but z must have the shape of mu, "
                          f"{tuple(mu.shape)}: one sample per mean.")
    again = call_student(fn, mu, logvar, eps.clone(), name=name)
    if isinstance(again, torch.Tensor) and not torch.equal(z.detach(), again.detach()):
        raise CheckFailed(f"{name} gave two different answers for the same (mu, logvar, eps): it draws its own "
                          "random numbers. Use the eps you are given, so the randomness stays outside.")
    std = torch.exp(0.5 * logvar.detach())
    expected = mu.detach() + std * eps
    if not torch.allclose(z.detach(), expected, atol=1e-5):
        if torch.allclose(z.detach(), mu.detach() + std**2 * eps, atol=1e-5):
            raise CheckFailed(f"{name} multiplied ε by exp(logvar), the variance σ². Multiply by the standard "
                              "deviation σ = exp(½·logvar).")
        raise CheckFailed(f"{name} returned wrong values: expected μ + exp(½·logvar)·ε, e.g. "
                          f"{expected[0, 0].item():.4f} for the first entry, got {z.detach()[0, 0].item():.4f}.")
    if not z.requires_grad:
        raise CheckFailed(f"{name} returned the right values but no gradient flows through them: do not use "
                          ".detach(), torch.no_grad(), .item() or .sample(). z = mu + std * eps keeps the graph.")
    d_mu, d_logvar = torch.autograd.grad(z.sum(), (mu, logvar), allow_unused=True)
    for grad, what, want in ((d_mu, "mu", torch.ones_like(mu)), (d_logvar, "logvar", 0.5 * std * eps)):
        if grad is None or not torch.allclose(grad, want, atol=1e-5):
            raise CheckFailed(f"{name} returned the right values, but the gradient does not reach {what} as it "
                              "should: compute z from mu and logvar with torch operations, without .detach().")
    passed(name, "values for the ε given, and gradients reach μ and log σ²")
