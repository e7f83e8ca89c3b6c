"""The checks of notebook 07's exercises accept right answers and explain each typical mistake."""

import doctest
import re

import pytest
import torch
import torch.nn.functional as F
from both_ways import both
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
    oracle = kl_divergence(
        Normal(mu_q, (0.5 * logvar_q).exp()), Normal(mu_p, (0.5 * logvar_p).exp())
    ).sum(-1)
    assert torch.allclose(
        gen.reference_kl_divergence_gaussians(mu_q, logvar_q, mu_p, logvar_p), oracle, atol=1e-5
    )


def test_kl_check_accepts_the_formula_written_another_way(capsys):
    gen.check_kl_divergence_gaussians(gen.reference_kl_divergence_gaussians)
    gen.check_kl_divergence_gaussians(
        lambda mq, lq, mp, lp: kl_divergence(
            Normal(mq, (0.5 * lq).exp()), Normal(mp, (0.5 * lp).exp())
        ).sum(-1)
    )
    assert capsys.readouterr().out.count("✅ kl_divergence_gaussians is correct") == 2


def kl_terms(mq, lq, mp, lp):
    """The right formula, per dimension (not yet summed)."""
    return 0.5 * (lp - lq + (lq.exp() + (mq - mp) ** 2) / lp.exp() - 1)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda mq, lq, mp, lp: kl_terms(mq, lq, mp, lp).sum().item(), "should return a tensor"),
        (kl_terms, "one value per latent dimension"),
        (lambda mq, lq, mp, lp: kl_terms(mq, lq, mp, lp).sum(), "expected \\(4,\\)"),
        (lambda mq, lq, mp, lp: kl_terms(mp, lp, mq, lq).sum(-1), "KL is not symmetric"),
        (lambda mq, lq, mp, lp: 2 * kl_terms(mq, lq, mp, lp).sum(-1), "factor ½"),
        (lambda mq, lq, mp, lp: kl_terms(mq, lq, mp, lp).mean(-1), "SUM"),
        (lambda mq, lq, mp, lp: kl_terms(mq, lq, mp, lp).sum(-1) + 0.5, "two identical Gaussians"),
        # σ used where σ² belongs: zero for identical Gaussians, wrong elsewhere
        (
            lambda mq, lq, mp, lp: (
                0.5 * (lp - lq + ((0.5 * lq).exp() + (mq - mp) ** 2) / (0.5 * lp).exp() - 1).sum(-1)
            ),
            "wrong in row",
        ),
    ],
)
def test_kl_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        gen.check_kl_divergence_gaussians(wrong)


def test_reparameterise_check_accepts_the_formula_written_another_way(capsys):
    gen.check_reparameterise(gen.reference_reparameterise)
    gen.check_reparameterise(lambda mu, logvar, eps: mu + logvar.mul(0.5).exp() * eps)
    gen.check_reparameterise(
        lambda mu, logvar, eps: torch.addcmul(mu, torch.sqrt(torch.exp(logvar)), eps)
    )
    assert capsys.readouterr().out.count("✅ reparameterise is correct") == 3


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (
            lambda mu, logvar, eps: (mu + (0.5 * logvar).exp() * eps).tolist(),
            "should return a tensor",
        ),
        (lambda mu, logvar, eps: (mu + (0.5 * logvar).exp() * eps).sum(-1), "the shape of mu"),
        (
            lambda mu, logvar, eps: mu + (0.5 * logvar).exp() * torch.randn_like(mu),
            "draws its own random numbers",
        ),
        (lambda mu, logvar, eps: mu + logvar.exp() * eps, "the variance"),
        (lambda mu, logvar, eps: mu + logvar * eps, "multiplied ε by logvar itself"),
        (lambda mu, logvar, eps: mu + 0.5 * logvar.exp() * eps, "wrong values"),
        (lambda mu, logvar, eps: (mu + (0.5 * logvar).exp() * eps).detach(), "no gradient flows"),
        (lambda mu, logvar, eps: mu + (0.5 * logvar.detach()).exp() * eps, "does not reach logvar"),
        (lambda mu, logvar, eps: mu.detach() + (0.5 * logvar).exp() * eps, "does not reach mu"),
    ],
)
def test_reparameterise_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        gen.check_reparameterise(wrong)


def kl_per_image(mu, log_var):
    return 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(-1)


def bce_sum(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum")


def test_vae_loss_check_accepts_the_loss_written_other_ways(capsys):
    gen.check_vae_loss(gen.reference_vae_loss)
    # the notebook's own helpers, probabilities instead of logits, and the textbook form of the KL
    gen.check_vae_loss(
        lambda logits, x, mu, log_var, beta=1.0: (
            bce_sum(logits, x) / len(x) + beta * kl_per_image(mu, log_var).mean()
        )
    )
    gen.check_vae_loss(
        lambda logits, x, mu, log_var, beta=1.0: (
            F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / x.shape[0]
            - beta * 0.5 * torch.mean(torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1))
        )
    )
    gen.check_vae_loss(
        lambda logits, x, mu, log_var, beta=1.0: (
            (bce_sum(logits, x) + beta * kl_per_image(mu, log_var).sum()) / len(x)
        )
    )
    assert capsys.readouterr().out.count("✅ vae_loss is correct") == 4


def right(logits, x, mu, log_var, beta=1.0):
    return bce_sum(logits, x) / len(x) + beta * kl_per_image(mu, log_var).mean()


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda l, x, m, v, beta=1.0: right(l, x, m, v, beta).item(), "should return a tensor"),
        (
            lambda l, x, m, v, beta=1.0: (
                F.binary_cross_entropy_with_logits(l, x, reduction="none").flatten(1).sum(1)
                + beta * kl_per_image(m, v)
            ),
            "one loss per image",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                F.binary_cross_entropy_with_logits(l, x, reduction="none").sum()
                + 0 * m.sum()
                + torch.zeros(2)
            ),
            "a loss is one number",
        ),
        (lambda l, x, m, v: right(l, x, m, v), "with a default"),
        (
            lambda l, x, m, v, beta=1.0: (
                F.binary_cross_entropy(l, x, reduction="sum") / len(x)
                + beta * kl_per_image(m, v).mean()
            ),
            "expects probabilities",
        ),
        # the KL's sign
        (
            lambda l, x, m, v, beta=1.0: bce_sum(l, x) / len(x) - beta * kl_per_image(m, v).mean(),
            "subtracts the KL",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(l, x) / len(x)
                + beta * 0.5 * torch.sum(1 + v - m**2 - v.exp(), dim=1).mean()
            ),
            "subtracts the KL",
        ),
        # reductions: mean vs sum
        (
            lambda l, x, m, v, beta=1.0: (
                F.binary_cross_entropy_with_logits(l, x) + beta * kl_per_image(m, v).mean()
            ),
            "averages the reconstruction over the pixels",
        ),
        (
            lambda l, x, m, v, beta=1.0: bce_sum(l, x) + beta * kl_per_image(m, v).sum(),
            "sums over the images",
        ),
        (
            lambda l, x, m, v, beta=1.0: bce_sum(l, x) / len(x) + beta * kl_per_image(m, v).sum(),
            "sums the KL over",
        ),
        (
            lambda l, x, m, v, beta=1.0: bce_sum(l, x) + beta * kl_per_image(m, v).mean(),
            "sums the reconstruction over",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(l, x) / len(x) + beta * (0.5 * (m**2 + v.exp() - 1 - v)).mean()
            ),
            "averages the KL over the latent dimensions",
        ),
        # log-variance vs standard deviation
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(l, x) / len(x)
                + beta * (0.5 * (m**2 + v.exp() ** 2 - 1 - 2 * v)).sum(-1).mean()
            ),
            "treats log_var as log σ",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(l, x) / len(x)
                + beta * (0.5 * (m**2 + (0.5 * v).exp() - 1 - v)).sum(-1).mean()
            ),
            "needs the variance",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(l, x) / len(x) + beta * (m**2 + v.exp() - 1 - v).sum(-1).mean()
            ),
            "factor ½",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(l, x) / len(x) + beta * (0.5 * (m**2 + v.exp() - v)).sum(-1).mean()
            ),
            "keep the − 1",
        ),
        # the reconstruction term
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(torch.sigmoid(l), x) / len(x) + beta * kl_per_image(m, v).mean()
            ),
            "applies torch.sigmoid",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(x, torch.sigmoid(l)) / len(x) + beta * kl_per_image(m, v).mean()
            ),
            "swaps the arguments",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                ((torch.sigmoid(l) - x) ** 2).sum() / len(x) + beta * kl_per_image(m, v).mean()
            ),
            "squared error",
        ),
        # beta
        (lambda l, x, m, v, beta=1.0: right(l, x, m, v), "ignores beta"),
        (
            lambda l, x, m, v, beta=1.0: beta * right(l, x, m, v),
            "multiplies the whole loss by beta",
        ),
        (
            lambda l, x, m, v, beta=1.0: beta * bce_sum(l, x) / len(x) + kl_per_image(m, v).mean(),
            "beta on the reconstruction",
        ),
        # gradients and inputs
        (lambda l, x, m, v, beta=1.0: right(l, x, m, v, beta).detach(), "no gradient flows"),
        (lambda l, x, m, v, beta=1.0: right(l, x, m.detach(), v, beta), "does not reach mu"),
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(l, x) / len(x) + beta * kl_per_image(m, v).mean().item()
            ),
            "does not reach mu",
        ),
        (
            lambda l, x, m, v, beta=1.0: right(l, x.clamp_(0.01, 0.99), m, v, beta),
            "changed one of its inputs",
        ),
        (
            lambda l, x, m, v, beta=1.0: (
                bce_sum(l, x) / len(x) + beta * kl_per_image(m, v).mean() + 0.1
            ),
            "expected",
        ),
    ],
)
def test_vae_loss_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        gen.check_vae_loss(wrong)


def test_every_vae_loss_mistake_is_told_apart():
    """On the check's inputs, no two mistakes (nor a mistake and the right answer) give the same loss."""
    logits, x, mu, log_var = (t.double() for t in gen._vae_case())
    for beta in (0.5, 2.0):
        values = [gen.reference_vae_loss(logits, x, mu, log_var, beta)]
        values += [wrong for wrong, _ in gen._vae_mistakes(logits, x, mu, log_var, beta)]
        for i, a in enumerate(values):
            for b in values[i + 1 :]:
                assert not torch.isclose(a, b, rtol=1e-3), (i, a, b)


# ---------------------------------------------------------------- both ways: in the notebook and in the grader

HEAD = """import torch
import torch.nn.functional as F


def reconstruction_loss(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)


def kl_to_standard_normal(mu, log_var):
    return 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(dim=-1)
"""
REPARAMETERISE_CHECK = (
    "from course_utils.exercises.nb07_generative import check_reparameterise\n"
    "check_reparameterise(reparameterise)"
)


@pytest.mark.parametrize(
    "body",
    [
        "return mu + (logvar / 2).exp() * eps",
        "return torch.addcmul(mu, logvar.mul(0.5).exp(), eps)",
        "std = logvar.exp().sqrt()\nreturn eps * std + mu",
    ],
)
def test_right_reparameterise_passes_both_ways(body):
    answer = "def reparameterise(mu, logvar, eps):\n" + "".join(
        f"    {line}\n" for line in body.splitlines()
    )
    assert both(REPARAMETERISE_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "body, match",
    [
        ("return mu + torch.exp(logvar) * eps", "multiplied ε by exp\\(logvar\\), the variance"),
        ("return mu + torch.sqrt(logvar) * eps", "returned nan: the log-variance can be negative"),
        (
            "return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)",
            "it draws its own random numbers",
        ),
        ("return (mu + torch.exp(0.5 * logvar) * eps).detach()", "no gradient flows through them"),
        ("return mu + logvar * eps", "multiplied ε by logvar itself"),
        (
            "return mu.add_(torch.exp(0.5 * logvar) * eps)",
            r"reparameterise raised RuntimeError: .* Likely cause: a tensor that requires grad was changed in place",
        ),
        (
            "return mu + torch.exp(0.5 * logvar.detach()) * eps",
            "the gradient does not reach logvar",
        ),
    ],
)
def test_wrong_reparameterise_gets_its_message_both_ways(body, match):
    answer = "def reparameterise(mu, logvar, eps):\n" + "".join(
        f"    {line}\n" for line in body.splitlines()
    )
    state, message = both(REPARAMETERISE_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(match, message), message


VAE_CHECK = (
    "from course_utils.exercises.nb07_generative import check_vae_loss\ncheck_vae_loss(vae_loss)"
)
VAE = """def vae_loss(logits, x, mu, log_var, beta=1.0):
    return reconstruction_loss(logits, x) + beta * kl_to_standard_normal(mu, log_var).mean()"""


@pytest.mark.parametrize(
    "answer",
    [
        """def vae_loss(logits, x, mu, log_var, beta=1.0):
    per_image = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = -0.5 * (1 + log_var - mu.pow(2) - log_var.exp()).sum(1)
    return (per_image + beta * kl).mean()""",
        """def vae_loss(logits, x, mu, log_var, beta=1.0):
    n = x.shape[0]
    return (F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            + beta * 0.5 * torch.sum(mu ** 2 + torch.exp(log_var) - 1 - log_var)) / n""",
    ],
)
def test_right_vae_losses_pass_both_ways(answer):
    assert both(VAE_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, match",
    [
        (
            VAE.replace(", beta=1.0", "").replace("beta * ", ""),
            r"vae_loss must take beta as its fifth argument, with a default: def vae_loss\(logits, x, mu, log_var, beta=1.0\)\. "
            r"\(vae_loss raised TypeError: .*beta",
        ),
        (
            VAE.replace(
                "reconstruction_loss(logits, x)",
                "F.binary_cross_entropy_with_logits(logits, x, reduction='sum') / 6",
            ),
            r"right for 6 images of 8 × 8 pixels and 3 latent dimensions, but not for 4 images of 5 × 5 and 2 \(a size typed "
            r"in\? take every size from the tensors\): vae_loss with beta = 1.0 gives",
        ),
        (
            VAE.replace(
                "reconstruction_loss(logits, x)", "F.binary_cross_entropy_with_logits(logits, x)"
            ),
            "averages the reconstruction over the pixels",
        ),
        (
            VAE.replace(
                "reconstruction_loss(logits, x)", "reconstruction_loss(torch.sigmoid(logits), x)"
            ),
            "applies torch.sigmoid before binary_cross_entropy_with_logits",
        ),
        (VAE.replace("+ beta *", "- beta *"), "subtracts the KL term"),
        (
            VAE.replace(
                "reconstruction_loss(logits, x)",
                "F.binary_cross_entropy(logits, x, reduction='sum') / len(x)",
            ),
            "binary_cross_entropy expects probabilities, but the decoder gives logits",
        ),
        (
            VAE.replace(
                "reconstruction_loss(logits, x) + beta * kl",
                "beta * reconstruction_loss(logits, x) + kl",
            ),
            r"\(beta = 0.5\) puts beta on the reconstruction",
        ),
    ],
)
def test_wrong_vae_losses_get_their_message_both_ways(answer, match):
    state, message = both(VAE_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(match, message), message
