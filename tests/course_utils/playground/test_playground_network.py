"""The network picture: links show a weight's sign and size; tiles show each neuron over the plane."""

import numpy as np
import torch

from course_utils.playground.engine import Network
from course_utils.playground.network import link_color, link_width, node_grids


def test_links_show_sign_and_size():
    assert link_width(0) == 1 and link_width(0.5) < link_width(2) < link_width(5) == link_width(50)
    blue, orange = link_color(3.0), link_color(-3.0)
    assert blue[2] > blue[0] and orange[0] > orange[2]


def test_node_grids_hold_every_neurons_output_over_the_plane():
    net = Network.initial(2, [3], 4, "tanh", torch.Generator().manual_seed(0))
    axis = np.linspace(-6, 6, 5)
    points = np.stack([c.ravel() for c in np.meshgrid(axis, axis)], axis=1)
    grids, classes = node_grids(net, points, "ce", 5)
    assert [g.shape for g in grids] == [(5, 5, 2), (5, 5, 3), (5, 5, 4)]
    zs, outs = net.forward(points)
    np.testing.assert_allclose(grids[1].reshape(-1, 3), outs[1])  # row i of the grid: x2 = axis[i]
    np.testing.assert_allclose(classes.sum(-1), 1.0)  # class probabilities
    np.testing.assert_allclose(grids[2], 2 * classes - 1)
    assert node_grids(net, points, "mse", 5)[1] is None
