"""The course's own TensorFlow Playground, as ipywidgets inside Jupyter (notebook 04).

    >>> from course_utils.playground import Playground
    >>> Playground(seed=0, resolution=10).state()["dataset"]
    'spiral'

One module per job:

- ``data``: the web version's six data sets, made as its ``src/dataset.ts`` makes them, and your own;
- ``engine``: its network and training rules (``src/nn.ts``) in NumPy, float64;
- ``network``: the network picture, a heat-map per neuron and weights as coloured lines;
- ``export``: "Export as PyTorch", a stand-alone script that trains the same network;
- ``widget``: ``Playground``, the widgets that tie them together.
"""

from course_utils.playground.widget import Playground

__all__ = ["Playground"]
