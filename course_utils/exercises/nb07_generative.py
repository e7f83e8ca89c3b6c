"""Checks for the exercises of notebook 07 (generative models: from autoencoder to VAE)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from course_utils.checks import CheckFailed, call_student, passed

__all__ = [
    "check_kl_divergence_gaussians",
    "check_reparameterise",
    "check_vae_loss",
    "reference_kl_divergence_gaussians",
    "reference_reparameterise",
    "reference_vae_loss",
]


def reference_kl_divergence_gaussians(
    mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor
) -> torch.Tensor:
    """KL(q ‖ p) of two diagonal Gaussians given by means and log-variances, one value per row.

    Example:
        >>> zeros = torch.zeros(1, 2)
        >>> reference_kl_divergence_gaussians(torch.ones(1, 2), zeros, zeros, zeros)  # ½·(1² + 1²)
        tensor([1.])
    """
    ratio = torch.exp(logvar_q - logvar_p)
    return 0.5 * (logvar_p - logvar_q + ratio + (mu_q - mu_p) ** 2 / torch.exp(logvar_p) - 1).sum(
        dim=-1
    )


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
    got = call_student(
        fn, mu_q.clone(), logvar_q.clone(), mu_p.clone(), logvar_p.clone(), name=name
    )
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(
            f"{name} should return a tensor with one KL per row, got {type(got).__name__}: "
            "keep the torch operations and do not call .item()."
        )
    if got.shape == mu_q.shape:
        raise CheckFailed(
            f"{name} returned shape {tuple(got.shape)}, one value per latent dimension: sum over "
            "the latent dimensions (.sum(dim=-1)) to get one KL per row, shape (4,)."
        )
    if got.shape != expected.shape:
        raise CheckFailed(
            f"{name} returned shape {tuple(got.shape)}, expected {tuple(expected.shape)}: one KL per "
            "row. Sum over the latent dimensions only (dim=-1), not over the rows."
        )
    got = got.detach().double()

    def close(other: torch.Tensor) -> bool:
        return torch.allclose(got, other.double(), atol=1e-4, rtol=1e-4)

    if close(expected):
        passed(name, "4 pairs of 3-D Gaussians, one of them identical")
        return
    if close(reference_kl_divergence_gaussians(mu_p, logvar_p, mu_q, logvar_q)):
        raise CheckFailed(
            f"{name} computed KL(p ‖ q), the arguments swapped. KL is not symmetric: the first "
            "Gaussian (mu_q, logvar_q) is the one we average over, log(σ_p/σ_q) + "
            "(σ_q² + (μ_q − μ_p)²) / (2σ_p²) − ½."
        )
    if close(2 * expected):
        raise CheckFailed(
            f"{name} is twice the right value: every term of the formula carries a factor ½."
        )
    if close(expected / mu_q.shape[-1]):
        raise CheckFailed(
            f"{name} averaged over the latent dimensions: the KL of independent dimensions is "
            "their SUM (.sum(dim=-1))."
        )
    if abs(got[-1].item()) > 1e-4:
        raise CheckFailed(
            f"{name} gives {got[-1].item():.4g} for two identical Gaussians, where the KL must be 0: "
            "check the constant (− ½ per dimension) and that σ² = exp(logvar)."
        )
    worst = int((got - expected.double()).abs().argmax())
    raise CheckFailed(
        f"{name} is wrong in row {worst}: got {got[worst].item():.4f}, expected "
        f"{expected[worst].item():.4f}. Recall σ² = exp(logvar) (the variance, not σ) and "
        "KL = log(σ_p/σ_q) + (σ_q² + (μ_q − μ_p)²) / (2σ_p²) − ½ per dimension."
    )


def reference_reparameterise(
    mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor
) -> torch.Tensor:
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
    for shape in ((5, 2), (3, 4)):
        _check_reparameterise_case(fn, shape)
    passed(name, "values for the ε given, and gradients reach μ and log σ²")


def _check_reparameterise_case(fn: Callable[..., torch.Tensor], shape: tuple[int, int]) -> None:
    name = "reparameterise"
    g = torch.Generator().manual_seed(6 + shape[1])
    mu, logvar, eps = (torch.randn(*shape, generator=g) for _ in range(3))
    mu.requires_grad_(True)
    logvar.requires_grad_(True)
    mu_own, logvar_own = (
        mu.detach().clone(),
        logvar.detach().clone(),
    )  # the expected answer's: never handed over
    z = call_student(fn, mu, logvar, eps.clone(), name=name)
    if not isinstance(z, torch.Tensor):
        raise CheckFailed(f"{name} should return a tensor, got {type(z).__name__}.")
    if z.shape != mu.shape:
        raise CheckFailed(
            f"{name} returned shape {tuple(z.shape)}, but z must have the shape of mu, "
            f"{tuple(mu.shape)}: one sample per mean."
        )
    if torch.isnan(z).any():
        raise CheckFailed(
            f"{name} returned nan: the log-variance can be negative, and its square root or logarithm is "
            "not defined there. σ = exp(½·logvar) is always defined: z = mu + torch.exp(0.5 * logvar) * eps."
        )
    again = call_student(fn, mu, logvar, eps.clone(), name=name)
    if isinstance(again, torch.Tensor) and not (
        again.shape == z.shape and torch.equal(z.detach(), again.detach())
    ):
        raise CheckFailed(
            f"{name} gave two different answers for the same (mu, logvar, eps): it draws its own "
            "random numbers. Use the eps you are given, so the randomness stays outside."
        )
    if not (torch.equal(mu.detach(), mu_own) and torch.equal(logvar.detach(), logvar_own)):
        raise CheckFailed(
            f"{name} changed mu or logvar in place: compute a new tensor, z = mu + std * eps, and "
            "leave its inputs as they were."
        )
    std = torch.exp(0.5 * logvar_own)
    expected = mu_own + std * eps
    if not torch.allclose(z.detach(), expected, atol=1e-5):
        if torch.allclose(z.detach(), mu_own + std**2 * eps, atol=1e-5):
            raise CheckFailed(
                f"{name} multiplied ε by exp(logvar), the variance σ². Multiply by the standard "
                "deviation σ = exp(½·logvar)."
            )
        if torch.allclose(z.detach(), mu_own + logvar_own * eps, atol=1e-5):
            raise CheckFailed(
                f"{name} multiplied ε by logvar itself: σ = exp(½·logvar), the standard deviation."
            )
        raise CheckFailed(
            f"{name} returned wrong values: expected μ + exp(½·logvar)·ε, e.g. "
            f"{expected[0, 0].item():.4f} for the first entry, got {z.detach()[0, 0].item():.4f}."
        )
    if not z.requires_grad:
        raise CheckFailed(
            f"{name} returned the right values but no gradient flows through them: do not use "
            ".detach(), torch.no_grad(), .item() or .sample(). z = mu + std * eps keeps the graph."
        )
    d_mu, d_logvar = torch.autograd.grad(z.sum(), (mu, logvar), allow_unused=True)
    for grad, what, want in (
        (d_mu, "mu", torch.ones_like(mu)),
        (d_logvar, "logvar", 0.5 * std * eps),
    ):
        if grad is None or not torch.allclose(grad, want, atol=1e-5):
            raise CheckFailed(
                f"{name} returned the right values, but the gradient does not reach {what} as it "
                "should: compute z from mu and logvar with torch operations, without .detach()."
            )


def reference_vae_loss(
    logits: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    log_var: torch.Tensor,
    beta: float = 1.0,
) -> torch.Tensor:
    """The VAE's loss for a batch: reconstruction + β·KL, in nats per image.

    Reconstruction: binary cross-entropy of the decoder's logits against the pixels, summed over
    the pixels of each image. KL: KL(N(μ, exp(log_var)) ‖ N(0, I)), summed over the latent
    dimensions. Both are averaged over the images of the batch.

    Example:
        >>> logits, x = torch.zeros(2, 1, 8, 8), torch.full((2, 1, 8, 8), 0.5)  # p = ½ everywhere: log 2 per pixel
        >>> round(reference_vae_loss(logits, x, torch.zeros(2, 3), torch.zeros(2, 3)).item(), 2)  # 64·log 2, KL 0
        44.36
    """
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(dim=-1)
    return reconstruction + beta * kl.mean()


def _vae_case(n: int = 6, side: int = 8, k: int = 3, seed: int = 296) -> tuple[torch.Tensor, ...]:
    """``n`` images of ``side`` × ``side`` (grey levels, some pure 0 and 1), logits far outside [0, 1], ``k``
    latent dimensions. The log-variances are far from 0, so σ, σ² and log σ² all differ and mixing them up
    shows; with the defaults every mistake of ``_vae_mistakes`` gives its own value.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, side, side, generator=g)
    x[:, :, :2], x[:, :, -1] = 0.0, 1.0
    logits = 3 * torch.randn(n, 1, side, side, generator=g)
    mu, log_var = torch.randn(n, k, generator=g), 1.5 * torch.randn(n, k, generator=g)
    return logits, x, mu, log_var


#: The check's cases, (images, side, latent dimensions, seed, betas): the second has other sizes, so that a size
#: typed into the loss shows.
_VAE_CASES = ((6, 8, 3, 296, (1.0, 0.5, 2.0)), (4, 5, 2, 7, (1.0,)))


def _vae_mistakes(
    logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor, beta: float
) -> list[tuple[torch.Tensor, str]]:
    """What typical wrong versions of the loss return, each with what to tell the student."""
    n, k = len(x), mu.shape[-1]
    bce = (
        F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    )  # per image
    rec = bce.mean()
    kl_dims = 0.5 * (mu**2 + log_var.exp() - 1 - log_var)
    kl = kl_dims.sum(-1).mean()
    probs = torch.sigmoid(logits)
    sigmoid_twice = F.binary_cross_entropy_with_logits(probs, x, reduction="sum") / n
    swapped = F.binary_cross_entropy_with_logits(x, probs, reduction="sum") / n
    squared = ((probs - x) ** 2).flatten(1).sum(1).mean()
    kl_log_sigma = 0.5 * (mu**2 + (2 * log_var).exp() - 1 - 2 * log_var).sum(-1).mean()
    kl_sigma_for_var = 0.5 * (mu**2 + (0.5 * log_var).exp() - 1 - log_var).sum(-1).mean()
    return [
        (
            rec - beta * kl,
            "subtracts the KL term. KL ≥ 0 is a penalty for codes far from the prior: ADD it, "
            "loss = reconstruction + beta · KL, with KL = ½·Σ(μ² + σ² − 1 − log σ²) (mind the sign).",
        ),
        (
            rec / x[0].numel() + beta * kl,
            "averages the reconstruction over the pixels (the default reduction of "
            "binary_cross_entropy_with_logits). Sum over the pixels of each image "
            "(reduction='sum', then divide by len(x)): a mean per pixel makes the KL "
            "64 times too heavy.",
        ),
        (
            n * (rec + beta * kl),
            "sums over the images of the batch: divide by the number of images (len(x)), or use "
            ".mean() over them, so the loss is in nats per image and does not grow with the batch.",
        ),
        (
            rec + beta * n * kl,
            "sums the KL over the images but averages the reconstruction: average the KL over the "
            "images too (.sum(dim=-1) over the latent dimensions, then .mean()).",
        ),
        (
            n * rec + beta * kl,
            "sums the reconstruction over the images but averages the KL: divide the summed "
            "binary cross-entropy by len(x).",
        ),
        (
            rec + beta * kl / k,
            "averages the KL over the latent dimensions: the KL of independent dimensions is their "
            "SUM (.sum(dim=-1)); then average over the images.",
        ),
        (
            rec + beta * kl_log_sigma,
            "treats log_var as log σ: the encoder outputs log σ², so σ² = exp(log_var) "
            "and log σ² = log_var.",
        ),
        (
            rec + beta * kl_sigma_for_var,
            "uses σ = exp(½·log_var) where the KL needs the variance σ² = exp(log_var).",
        ),
        (
            rec + beta * (kl + 0.5 * k),
            "has a KL that is not 0 when μ = 0 and σ = 1: keep the − 1 per dimension, "
            "½·Σ(μ² + σ² − 1 − log σ²).",
        ),
        (
            sigmoid_twice + beta * kl,
            "applies torch.sigmoid before binary_cross_entropy_with_logits, which applies it "
            "again: pass the decoder's logits as they are (or use reconstruction_loss).",
        ),
        (
            swapped + beta * kl,
            "swaps the arguments of the cross-entropy: the logits come first, the pixels x (the "
            "target) second, as in reconstruction_loss(logits, x).",
        ),
        (
            squared + beta * kl,
            "uses the squared error for the reconstruction: this notebook's reconstruction loss is "
            "the binary cross-entropy of the logits, summed over the pixels (reconstruction_loss).",
        ),
    ] + (
        [
            (rec + 2 * kl, "has a KL twice too large: the formula carries a factor ½."),
        ]
        if beta == 1.0
        else [
            (
                beta * (rec + kl),
                "multiplies the whole loss by beta: beta weighs only the KL term, "
                "reconstruction + beta · KL.",
            ),
            (
                beta * rec + kl,
                "puts beta on the reconstruction: beta weighs the KL term, reconstruction + beta · KL.",
            ),
            (
                rec + kl,
                "ignores beta: multiply the KL term by beta (beta = 1 gives the standard VAE).",
            ),
        ]
    )


def check_vae_loss(fn: Callable[..., torch.Tensor]) -> None:
    """Check a student's ``vae_loss(logits, x, mu, log_var, beta=1.0)`` on a batch of six images.

    Compares the value with the reference for β = 1 (the default), ½ and 2, and the gradients
    with respect to the logits, μ and log σ²; each usual mistake gets its own message.

    Example:
        >>> check_vae_loss(reference_vae_loss)  # doctest: +NORMALIZE_WHITESPACE
        ✅ vae_loss is correct (reconstruction + β·KL in nats per image, for β = 1, 0.5 and 2;
        gradients reach the logits, μ and log σ²)
    """
    for number, (n, side, k, seed, betas) in enumerate(_VAE_CASES):
        try:
            _check_vae_case(fn, _vae_case(n, side, k, seed), betas)
        except CheckFailed as err:
            if not number:
                raise
            raise CheckFailed(
                f"vae_loss is right for 6 images of 8 × 8 pixels and 3 latent dimensions, but not for "
                f"{n} images of {side} × {side} and {k} (a size typed in? take every size from the "
                f"tensors): {err}"
            ) from None
    passed(
        "vae_loss",
        "reconstruction + β·KL in nats per image, for β = 1, 0.5 and 2; gradients reach the logits, μ "
        "and log σ²",
    )


def _check_vae_case(
    fn: Callable[..., torch.Tensor], inputs: tuple[torch.Tensor, ...], betas: tuple[float, ...]
) -> None:
    name = "vae_loss"
    logits, x, mu, log_var = inputs
    for beta in betas:
        args = [t.clone().requires_grad_(t is not x) for t in inputs]
        pristine = [t.clone().requires_grad_(t is not x) for t in inputs]
        expected = reference_vae_loss(*pristine, beta=beta)
        try:
            got = (
                call_student(fn, *args, name=name)
                if beta == 1.0
                else call_student(fn, *args, beta=beta, name=name)
            )
        except CheckFailed as err:
            text = str(err)
            if "between 0 and 1" in text:
                raise CheckFailed(
                    f"{name}: binary_cross_entropy expects probabilities, but the decoder gives logits "
                    "(any real number). Use F.binary_cross_entropy_with_logits(logits, x, ...) or "
                    "reconstruction_loss(logits, x)."
                ) from None
            if "beta" in text and "TypeError" in text:
                raise CheckFailed(
                    f"{name} must take beta as its fifth argument, with a default: "
                    f"def vae_loss(logits, x, mu, log_var, beta=1.0). ({text})"
                ) from None
            raise
        if any(not torch.equal(before, after.detach()) for before, after in zip(inputs, args)):
            raise CheckFailed(
                f"{name} changed one of its inputs in place: compute new tensors instead "
                "(e.g. log_var.exp(), not log_var.exp_())."
            )
        if not isinstance(got, torch.Tensor):
            raise CheckFailed(
                f"{name} should return a tensor (the training loop calls loss.backward()), got "
                f"{type(got).__name__}: keep the torch operations and do not call .item()."
            )
        if got.numel() != 1:
            if got.shape == (len(x),):
                raise CheckFailed(
                    f"{name} returned one loss per image, shape {tuple(got.shape)}: average over the "
                    "images (.mean()) to get one number, the loss in nats per image."
                )
            raise CheckFailed(
                f"{name} returned shape {tuple(got.shape)}, but a loss is one number: sum the "
                "reconstruction over the pixels and the KL over the latent dimensions of each image, "
                "then average over the images."
            )
        value = got.detach().double().reshape(())
        if not torch.isclose(value, expected.detach().double(), rtol=1e-4, atol=1e-4):
            plain = [t.detach().double() for t in inputs]
            for wrong, message in _vae_mistakes(*plain, beta):
                if torch.isclose(value, wrong, rtol=1e-4, atol=1e-4):
                    raise CheckFailed(f"{name} (beta = {beta}) {message}")
            raise CheckFailed(
                f"{name} with beta = {beta} gives {value.item():.4f}, expected {expected.item():.4f}. "
                "Reconstruction: binary cross-entropy of the logits, summed over the pixels, divided by "
                "len(x); KL: ½·Σ(μ² + exp(log_var) − 1 − log_var) over the latent dimensions, averaged "
                "over the images; loss = reconstruction + beta · KL."
            )
        if not got.requires_grad:
            raise CheckFailed(
                f"{name} returned the right value but no gradient flows through it: do not use .item(), "
                ".detach(), .numpy() or torch.no_grad() inside the loss."
            )
        grads = torch.autograd.grad(got.reshape(()), [args[0], args[2], args[3]], allow_unused=True)
        want = torch.autograd.grad(expected, [pristine[0], pristine[2], pristine[3]])
        for grad, ref, what in zip(grads, want, ("the logits", "mu", "log_var")):
            if grad is None or not torch.allclose(
                grad.double(), ref.double(), rtol=1e-4, atol=1e-5
            ):
                raise CheckFailed(
                    f"{name} returned the right value, but its gradient does not reach {what} as it "
                    "should: compute every term from the tensors you are given with torch operations, "
                    "without .item() or .detach()."
                )
