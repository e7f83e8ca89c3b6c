"""course_utils.sequences: the text of notebook 08, its batches, and the attention picture."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils import sequences as seq  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return seq.load_python_docs()


def test_text_is_real_clean_and_split(data):
    assert len(data.text) > 300_000
    assert set(data.text) <= set(seq.ALPHABET)
    assert data.text == data.text.lower()
    assert "statement" in data.text and "exception" in data.text  # the Python Language Reference
    assert len(data.train_ids) + len(data.val_ids) + len(data.test_ids) == len(data.text)
    assert abs(len(data.test_ids) / len(data.text) - 0.1) < 0.001
    assert abs(len(data.val_ids) / len(data.text) - 0.1) < 0.001
    assert seq.decode(torch.cat([data.train_ids, data.val_ids, data.test_ids])) == data.text
    assert "PSF" in data.licence and data.url.startswith("https://")


def test_split_is_the_same_every_time(data):
    again = seq.load_python_docs()
    assert torch.equal(again.test_ids, data.test_ids) and torch.equal(again.val_ids, data.val_ids)


def test_alphabet_and_keys_do_not_overlap():
    assert len(seq.ALPHABET) == len(set(seq.ALPHABET)) == 40
    assert not set(seq.KEYS) & set(seq.ALPHABET)
    assert seq.SYMBOLS == seq.ALPHABET + seq.KEYS


def test_encode_maps_unknown_characters_and_decode_inverts():
    assert seq.decode(seq.encode("Hi 3!")) == "·i ··"
    assert seq.decode(seq.encode("if x:\n    pass")) == "if x:\n    pass"


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (lambda: seq.encode(b"bytes"), TypeError, "must be a str"),
        (lambda: seq.decode(torch.zeros(2, 2, dtype=torch.long)), ValueError, "one row at a time"),
        (lambda: seq.decode([len(seq.SYMBOLS)]), ValueError, "no symbol id"),
        (
            lambda: seq.load_python_docs(1.5),
            ValueError,
            "test_fraction must be a number between 0 and 1",
        ),
        (
            lambda: seq.load_python_docs(0.1, val_fraction=0),
            ValueError,
            "val_fraction must be a number between 0 and 1",
        ),
        (
            lambda: seq.load_python_docs(0.5, val_fraction=0.45),
            ValueError,
            "leave at least a tenth",
        ),
    ],
)
def test_bad_inputs_say_how_to_fix(bad, error, message):
    with pytest.raises(error, match=message):
        bad()


def test_memory_batch_hides_one_key_at_the_given_distance(data):
    g = torch.Generator().manual_seed(0)
    x, key, distance = seq.memory_batch(data.train_ids, 500, 50, 4, generator=g)
    assert x.shape == (500, 50) and key.shape == distance.shape == (500,)
    is_key = x >= len(seq.ALPHABET)
    assert bool((is_key.sum(dim=1) == 1).all())
    assert torch.equal(is_key.int().argmax(dim=1), 49 - distance)
    assert torch.equal(x[is_key] - len(seq.ALPHABET), key)
    assert set(key.tolist()) == {0, 1, 2, 3} and distance.min() >= 0 and distance.max() <= 49
    assert len(set(distance.tolist())) > 40  # distances are spread over the whole window


def test_memory_batch_is_repeatable_and_leaves_the_text_alone(data):
    before = data.train_ids[:1000].clone()
    a = seq.memory_batch(data.train_ids[:1000], 8, 20, generator=torch.Generator().manual_seed(3))
    b = seq.memory_batch(data.train_ids[:1000], 8, 20, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert torch.equal(data.train_ids[:1000], before)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0}, "n must be"),
        ({"length": 10_000}, "too few"),
        ({"n_keys": 9}, "n_keys"),
        ({"distance": torch.tensor([0, 10])}, "distance must"),
    ],
)
def test_memory_batch_rejects_bad_arguments(data, kwargs, message):
    args = {"n": 2, "length": 10, "n_keys": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        seq.memory_batch(data.train_ids[:100], generator=torch.Generator(), **args)


def test_memory_batch_wants_ids_not_text():
    with pytest.raises(TypeError, match="1-D int64"):
        seq.memory_batch("some text", 2, 3, generator=torch.Generator())


def test_next_char_batch_targets_are_the_next_characters(data):
    x, y = seq.next_char_batch(data.train_ids, 4, 30, generator=torch.Generator().manual_seed(1))
    assert x.shape == y.shape == (4, 30)
    assert torch.equal(x[:, 1:], y[:, :-1])
    text = seq.decode(x[0]) + seq.decode(y[0])[-1:]
    assert text in data.text


def test_plot_attention_draws_a_colour_key_and_marks():
    ax = seq.plot_attention(
        torch.softmax(torch.randn(4, 12), dim=1), marks=[0, 3, 5, 11], title="t"
    )
    assert ax.get_title() == "t" and len(ax.figure.axes) == 2  # the heat map and its colour bar
    assert ax.figure.axes[1].get_ylabel() == "attention weight"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="2-D"):
        seq.plot_attention(torch.rand(2, 3, 4))
    with pytest.raises(ValueError, match="one position per row"):
        seq.plot_attention(torch.rand(2, 3), marks=[1])
