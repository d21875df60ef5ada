"""The build graph's rewrite refuses graphs that are not BERT-style encoders, with a reason."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from index.embedding.fusion import FusionError, fused_encoder  # noqa: E402


def graph(initializers: dict[str, np.ndarray]):
    nodes = [helper.make_node("Identity", ["x"], ["y"])]
    return helper.make_model(helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        [numpy_helper.from_array(v, k) for k, v in initializers.items()]))


def test_a_graph_without_encoder_layers_is_not_rewritten():
    with pytest.raises(FusionError, match="not a BERT-style encoder"):
        fused_encoder(graph({"w": np.zeros((2, 2), np.float32)}), num_heads=2)


def test_a_layer_whose_weights_are_missing_names_what_is_missing():
    named = {"encoder.layer.0.attention.self.query.bias": np.zeros(4, np.float32)}
    with pytest.raises(FusionError, match="embeddings.word_embeddings.weight"):
        fused_encoder(graph(named), num_heads=2)
