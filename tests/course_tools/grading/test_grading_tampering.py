"""The tampering scan: code aimed at the checking machinery is named; honest settings are not."""

import nbformat

from course_tools.grading.tampering import tampering


def test_tampering_is_named_and_honest_settings_are_not():
    teacher = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from course_utils.exercises.nb03_mlp import check_bce\ncheck_bce(bce)"
            )
        ]
    )

    def found(source):
        return tampering(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), teacher
        )

    assert found("import course_utils.checks as c\nc.check_close = print") == [
        "cell 0 replaces c.check_close"
    ]
    assert found("get_ipython().set_custom_exc((Exception,), f)") == [
        "cell 0 hooks IPython (get_ipython().set_custom_exc)"
    ]
    assert found("get_ipython().showtraceback = f") == [
        "cell 0 hooks IPython (get_ipython().showtraceback)"
    ]
    assert found("import sys\nsys.modules['torch'] = None") == ["cell 0 writes into sys.modules"]
    assert found("setattr(torch, 'allclose', f)") == ["cell 0 calls setattr on torch"]
    assert found("def check_bce(bce):\n    print('✅')") == ["cell 0 defines its own check_bce"]
    assert found("%time torch.allclose = f") == ["cell 0 replaces torch.allclose"]
    assert found("%%capture\nimport torch\ntorch.isclose = f") == ["cell 0 replaces torch.isclose"]
    assert found("f.__code__ = g.__code__") == ["cell 0 replaces f.__code__"]
    assert found("exec(base64.b64decode(text))") == [
        "cell 0 runs code the grader cannot read (exec)"
    ]
    assert found("m = importlib.import_module('course_utils.checks')\nsetattr(m, 'passed', f)") == [
        "cell 0 calls setattr on m"
    ]
    honest = (
        "import torch\ntorch.backends.cudnn.deterministic = True\nx = torch.ones(2)\nx.data = x\n"
        "%matplotlib inline\nmodel = getattr(torch.nn, 'ReLU')()\n!pip list"
    )
    assert found(honest) == []
