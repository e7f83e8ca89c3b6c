"""Checks for the exercise of notebook 00 · Start here."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_utils.checks import CheckFailed, call_student, check_tensor, passed

__all__ = ["check_column_sums"]


def check_column_sums(
    fn: Callable[[torch.Tensor], torch.Tensor], device: torch.device | str = "cpu"
) -> None:
    """Check ``fn(m)``: the sum of each column of a 2-D tensor, as a 1-D tensor on m's device.

    Two matrices are tried, a small one whose answer can be worked out by hand and a random
    one, so an answer typed in by hand does not pass.

    Example:
        >>> check_column_sums(lambda m: m.sum(dim=0))
        ✅ column_sums is correct (2 × 3 and 4 × 5 matrices)
    """
    device = torch.device(device)
    small = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device)
    random = torch.randn(4, 5, generator=torch.Generator().manual_seed(0)).to(device)
    for m in (small, random):
        shape = f"{m.shape[0]} × {m.shape[1]}"
        result = call_student(fn, m.clone(), name="column_sums")
        hints = [
            (
                m.sum(dim=1),
                "summed each row (dim=1): dim=0 runs down the rows and gives one sum per column",
            ),
            (m.sum(), "summed every entry into one number: pass dim=0 to keep one sum per column"),
            (
                m.sum(dim=0, keepdim=True),
                f"kept a row dimension (keepdim=True): return a 1-D tensor, shape ({m.shape[1]},)",
            ),
            (m.mean(dim=0), "averaged each column: use .sum, not .mean"),
        ]
        for wrong, hint in hints:
            if (
                isinstance(result, torch.Tensor)
                and result.shape == wrong.shape
                and result.device == m.device
                and torch.allclose(result.float(), wrong, atol=1e-5)
            ):
                raise CheckFailed(f"column_sums {hint}.")
        check_tensor(
            result, m.sum(dim=0), name=f"column_sums of a {shape} matrix", atol=1e-5, quiet=True
        )
    passed("column_sums", "2 × 3 and 4 × 5 matrices")
