"""The course's own TensorFlow Playground, as ipywidgets inside Jupyter (notebook 04).

    >>> from course_utils.playground import Playground
    >>> Playground(seed=0, resolution=10).state()["dataset"]
    'spiral'

One module per job, each importing only those above it:

- ``data``: the web version's six data sets, made as its ``src/dataset.ts`` makes them, and your own;
- ``engine``: its network and training rules (``src/nn.ts``) in NumPy, float64;
- ``run``: one training run (data, features, network, batch order, readings), as ``src/playground.ts`` keeps it;
- ``network``: the network picture, a heat-map per neuron and weights as coloured lines;
- ``scene``: the output over the plane with the points, beside the loss and accuracy curves;
- ``export``: "Export as PyTorch", a stand-alone script that trains the same network;
- ``controls``: the sliders, drop-downs and buttons, and the settings they hold;
- ``own_points``: your own points (``use_own_data``, *add point*), the data set "own data";
- ``playing``: Play and Pause, epoch after epoch on the kernel's event loop;
- ``widget``: ``Playground``, the controls wired to the rest.
"""

from course_utils.playground.widget import Playground

__all__ = ["Playground"]
