"""Recurrent layers: `RNN`, `LSTM`, `GRU` (multi-layer, bidirectional, packed sequences) and their cells.

Parameter names, shapes, gate order and initialisation are PyTorch's, so state dicts transfer:

    RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)                          act = tanh or relu
    LSTM  i, f, g, o = chunks of W_ih x + b_ih + W_hh h + b_hh               (gate order i, f, g, o)
          c' = sigmoid(f) c + sigmoid(i) tanh(g),  h' = sigmoid(o) tanh(c')   (h' = W_hr h' with proj_size)
    GRU   r, z, n chunks (order r, z, n) of gi = W_ih x + b_ih and gh = W_hh h + b_hh:
          r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z), n = tanh(gi_n + r * gh_n),
          h' = (1 - z) n + z h

Every parameter starts U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). The time loop is Python: the
input projection of all time steps is one matmul up front, then each step does one matmul with
W_hh. Everything is composed of differentiable Tensor ops, so gradients of any order work.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ...creation import empty, zeros
from ...ops.activation import relu, sigmoid, tanh
from ...ops.join import cat, stack
from ...tensor import Parameter, Tensor
from .. import init
from ..functional.dropout import dropout as _dropout
from ..functional.linear import linear
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# -- one time step -----------------------------------------------------------------------------------------------
def _rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh, relu_act: bool) -> Tensor:
    pre = gi + linear(h, w_hh, b_hh)
    return relu(pre) if relu_act else tanh(pre)


def _lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh, w_hr) -> tuple[Tensor, Tensor]:
    i, f, g, o = (gi + linear(h, w_hh, b_hh)).chunk(4, -1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    if w_hr is not None:
        h = linear(h, w_hr)
    return h, c


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, -1)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = tanh(i_n + r * h_n)
    return n + z * (h - n)  # (1 - z) n + z h


def _step_fn(mode: str, w_hh: Tensor, b_hh, w_hr):
    """A function (gi, state) -> (output h, new state) for one time step; state is h or (h, c)."""
    if mode == "LSTM":
        def step(gi, state):
            h, c = _lstm_step(gi, state[0], state[1], w_hh, b_hh, w_hr)
            return h, (h, c)
    elif mode == "GRU":
        def step(gi, state):
            h = _gru_step(gi, state, w_hh, b_hh)
            return h, h
    else:
        relu_act = mode == "RNN_RELU"

        def step(gi, state):
            h = _rnn_step(gi, state, w_hh, b_hh, relu_act)
            return h, h
    return step


def _rows(state, start: int, stop: int | None = None):
    """Rows start:stop of a state (h, or the pair (h, c))."""
    if isinstance(state, tuple):
        return tuple(s[start:stop] for s in state)
    return state[start:stop]


def _join(pieces: list):
    """Concatenate states along the batch dim (pieces are h tensors or (h, c) pairs)."""
    if len(pieces) == 1:
        return pieces[0]
    if isinstance(pieces[0], tuple):
        return tuple(cat([p[k] for p in pieces]) for k in range(len(pieces[0])))
    return cat(pieces)


def _run_direction(step, gi: Tensor, state0, batch_sizes: np.ndarray | None, reverse: bool):
    """Run one direction of one layer over the projected input `gi`.

    gi: (T, B, G) for padded input, or packed (sum(batch_sizes), G). Returns (outputs laid out like
    gi, with the step's output size, final state for every sequence).
    """
    if batch_sizes is None:
        steps = gi.unbind(0)
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        outs = [None] * len(steps)
        state = state0
        for t in order:
            outs[t], state = step(steps[t], state)
        return stack(outs, 0), state
    # Packed: step t holds the first batch_sizes[t] sequences (lengths sorted decreasing).
    sizes = [int(n) for n in batch_sizes]
    steps = gi.split(sizes, 0)
    outs = [None] * len(sizes)
    if not reverse:
        state, done = _rows(state0, 0, sizes[0]), []
        for t, n in enumerate(sizes):
            running = state[0].shape[0] if isinstance(state, tuple) else state.shape[0]
            if n < running:  # sequences n..running-1 ended at step t - 1: keep their final state
                done.append(_rows(state, n, running))
                state = _rows(state, 0, n)
            outs[t], state = step(steps[t], state)
        final = _join([state] + done[::-1])
    else:
        state = None
        for t in range(len(sizes) - 1, -1, -1):
            n = sizes[t]
            running = 0 if state is None else (state[0].shape[0] if isinstance(state, tuple) else state.shape[0])
            if n > running:  # sequences running..n-1 start here (their last element is step t)
                fresh = _rows(state0, running, n)
                state = fresh if state is None else _join([state, fresh])
            outs[t], state = step(steps[t], state)
        final = state
    return cat(outs, 0), final


# -- the multi-layer modules -------------------------------------------------------------------------------------
class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters, checks, and the layer/direction loop."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        kw = {"device": device, "dtype": dtype}
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                params = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    params += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in params:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, **kw)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op here (PyTorch packs the weights into one cuDNN buffer)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- checks (PyTorch's names and messages) --------------------------------------------------------------
    def check_input(self, input: Tensor, batch_sizes) -> None:
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). Convert "
                             f"input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes) -> tuple[int, int, int]:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple, msg: str = "Expected hidden size {}, got {}"
                          ) -> None:
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # -- the computation -------------------------------------------------------------------------------------
    def _layers(self, x: Tensor, hx, batch_sizes):
        """Run every layer and direction. x: (T, B, I) or packed (N, I); hx: (L*D, B, H) or a pair of them.

        Returns (output laid out like x with the last dim D * H_out, h_n or (h_n, c_n)).
        """
        num_directions = 2 if self.bidirectional else 1
        sizes = None if batch_sizes is None else batch_sizes._host()
        if sizes is None and x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        lstm = self.mode == "LSTM"
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                idx = layer * num_directions + direction
                names = self._all_weights[idx]
                w_ih, w_hh = getattr(self, names[0]), getattr(self, names[1])
                b_ih = getattr(self, names[2]) if self.bias else None
                b_hh = getattr(self, names[3]) if self.bias else None
                w_hr = getattr(self, names[-1]) if self.proj_size > 0 else None
                gi = linear(layer_input, w_ih, b_ih)  # every time step's input projection in one matmul
                state0 = (hx[0][idx], hx[1][idx]) if lstm else hx[idx]
                step = _step_fn(self.mode, w_hh, b_hh, w_hr)
                out, final = _run_direction(step, gi, state0, sizes, reverse=direction == 1)
                outs.append(out)
                finals.append(final)
            layer_input = outs[0] if len(outs) == 1 else cat(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout, True)
        if lstm:
            return layer_input, (stack([f[0] for f in finals], 0), stack([f[1] for f in finals], 0))
        return layer_input, stack(finals, 0)

    def _zeros_state(self, input: Tensor, batch: int, size: int) -> Tensor:
        num_directions = 2 if self.bidirectional else 1
        return zeros((self.num_layers * num_directions, batch, size), dtype=input.dtype, device=input.device)

    def _forward_single(self, input, hx):
        """RNN and GRU forward (one state tensor)."""
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
        orig = input
        if isinstance(orig, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = orig
            if hx is None:
                hx = self._zeros_state(input, int(batch_sizes[0]), self.hidden_size)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            is_batched = True
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D tensor instead")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = input.unsqueeze(batch_dim)
                if hx is not None:
                    if hx.dim() != 2:
                        raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D "
                                           f"tensor")
                    hx = hx.unsqueeze(1)
            elif hx is not None and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if hx is None:
                hx = self._zeros_state(input, input.shape[0 if self.batch_first else 1], self.hidden_size)
        self.check_forward_args(input, hx, batch_sizes)
        x = input.transpose(0, 1) if batch_sizes is None and self.batch_first else input
        output, hidden = self._layers(x, hx, batch_sizes)
        if batch_sizes is not None:
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), \
                self.permute_hidden(hidden, unsorted_indices)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            hidden = hidden.squeeze(1)
        return output, hidden


class RNN(RNNBase):
    """Elman RNN: h_t = tanh (or relu)(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), stacked and optionally bidirectional."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx: Tensor | None = None):
        """(output (T, B, D*H), h_n (L*D, B, H)); PackedSequence in gives PackedSequence out."""
        return self._forward_single(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n; r scales W_hn h + b_hn), stacked and optionally bidirectional."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx: Tensor | None = None):
        """(output (T, B, D*H), h_n (L*D, B, H)); PackedSequence in gives PackedSequence out."""
        return self._forward_single(input, hx)


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o), optional output projection (proj_size), stacked, bidirectional."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes) -> tuple[int, int, int]:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def forward(self, input, hx: tuple[Tensor, Tensor] | None = None):
        """(output (T, B, D*H_out), (h_n (L*D, B, H_out), c_n (L*D, B, H))); H_out = proj_size or hidden_size."""
        orig = input
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if isinstance(orig, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = orig
            if hx is None:
                b = int(batch_sizes[0])
                hx = (self._zeros_state(input, b, real_hidden), self._zeros_state(input, b, self.hidden_size))
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            is_batched = True
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            if hx is None:
                b = input.shape[0 if self.batch_first else 1]
                hx = (self._zeros_state(input, b, real_hidden), self._zeros_state(input, b, self.hidden_size))
            elif is_batched:
                if hx[0].dim() != 3 or hx[1].dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but got "
                                       f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            else:
                if hx[0].dim() != 2 or hx[1].dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be 2-D but got "
                                       f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, batch_sizes)
        x = input.transpose(0, 1) if batch_sizes is None and self.batch_first else input
        output, hidden = self._layers(x, hx, batch_sizes)
        if batch_sizes is not None:
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), \
                self.permute_hidden(hidden, unsorted_indices)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1))
        return output, hidden


# -- cells ---------------------------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters of a single recurrent cell: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H,)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, name: str, input: Tensor, states: tuple) -> tuple[Tensor, bool]:
        """Check ranks and sizes as PyTorch does; return the 2-D input and whether it was batched."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for label, s in states:
            if s is not None and s.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {s.dim()}D instead")
        is_batched = input.dim() == 2
        x = input if is_batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}")
        return x, is_batched

    def _check_state(self, x: Tensor, h: Tensor, label: str) -> None:
        if h.shape[0] != x.shape[0]:
            raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match {label} batch size {h.shape[0]}")
        if h.shape[1] != self.hidden_size:
            raise RuntimeError(f"{label} has inconsistent hidden_size: got {h.shape[1]}, expected {self.hidden_size}")

    def _zeros(self, x: Tensor) -> Tensor:
        return zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)


class RNNCell(RNNCellBase):
    """h' = tanh (or relu)(W_ih x + b_ih + W_hh h + b_hh)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, is_batched = self._prepare("RNNCell", input, (("hidden", hx),))
        h = self._zeros(x) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        self._check_state(x, h, "hidden0")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        out = _rnn_step(linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh,
                        self.nonlinearity == "relu")
        return out if is_batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """(h', c') of one LSTM step (gates i, f, g, o)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        states = () if hx is None else tuple((f"hx[{i}]", s) for i, s in enumerate(hx))
        x, is_batched = self._prepare("LSTMCell", input, states)
        if hx is None:
            h = c = self._zeros(x)
        else:
            h, c = (hx[0], hx[1]) if is_batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_state(x, h, "hidden0")
        self._check_state(x, c, "hidden1")
        h, c = _lstm_step(linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh, None)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """h' of one GRU step (gates r, z, n)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, is_batched = self._prepare("GRUCell", input, (("hidden", hx),))
        h = self._zeros(x) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        self._check_state(x, h, "hidden0")
        out = _gru_step(linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return out if is_batched else out.squeeze(0)
